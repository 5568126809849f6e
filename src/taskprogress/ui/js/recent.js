// What this tab opened recently (sessionStorage, per session): finished API jobs leave the server's running list,
// so this is how the dashboard still lists them.

const KEY = "taskprogress.recent";
const MAX = 10;

function load() {
  try {
    return JSON.parse(sessionStorage.getItem(KEY) ?? "{}");
  } catch {
    return {};
  }
}

export function recentlyViewed(session) {
  const all = load();
  return session && Array.isArray(all[session]) ? all[session] : [];
}

export function rememberViewed(session, entry) {
  if (!session) return;
  const all = load();
  const list = (all[session] ?? []).filter((r) => r.href !== entry.href);
  all[session] = [{ ...entry, at: Date.now() }, ...list].slice(0, MAX);
  sessionStorage.setItem(KEY, JSON.stringify({ [session]: all[session] })); // other sessions' lists are dropped
}
