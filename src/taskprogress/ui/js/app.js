// The dashboard: a hash router over three views (log in, the job list, one API's or long job's live progress),
// one ZStack client whose session lives in sessionStorage, and one place that shows errors.

import { ApiError, ZStackClient } from "./api.js";
import { h } from "./dom.js";
import { jobsView } from "./views/jobs.js";
import { loginView } from "./views/login.js";
import { progressView } from "./views/progress.js";

const main = document.getElementById("main");
const notice = document.getElementById("notice");
const account = document.getElementById("account");
const accountName = document.getElementById("account-name-shown");
const logoutButton = document.getElementById("logout");

let current = null;
let expiredReason = null;

const client = new ZStackClient({
  onSessionExpired: () => {
    expiredReason = "Your session has expired or was ended. Log in again to continue.";
    route();
  },
});

/** Show an error (null: clear it). ZStack errors show their code, description and details. */
function notify(error) {
  if (!error) {
    notice.hidden = true;
    notice.replaceChildren();
    return;
  }
  const parts =
    error instanceof ApiError
      ? [h("strong", {}, error.code), " ", error.description, error.details ? ` — ${error.details}` : ""]
      : [h("strong", {}, "Error"), " ", error.message ?? String(error)];
  notice.replaceChildren(...parts);
  notice.hidden = false;
}

function show(view) {
  current?.dispose();
  current = view;
  main.replaceChildren(view.element);
  document.title = `${view.title} · taskprogress`;
  main.focus({ preventScroll: true }); // screen readers start at the new content; a view may focus a field
  view.mounted?.();
}

function route() {
  notify(null);
  const session = client.session;
  account.hidden = !session;
  accountName.textContent = session?.accountName ?? "";
  if (!session) {
    const reason = expiredReason;
    expiredReason = null;
    show(loginView({ client, reason, onLoggedIn: route }));
    return;
  }
  const [, kind, id] = /^#\/(api|longjob)\/([0-9a-zA-Z-]+)$/.exec(location.hash) ?? [];
  if (kind === "api") show(progressView({ client, notify, apiId: id }));
  else if (kind === "longjob") show(progressView({ client, notify, longJobUuid: id }));
  else show(jobsView({ client, notify }));
}

logoutButton.addEventListener("click", async () => {
  try {
    await client.logout();
  } catch (e) {
    notify(e); // the session is forgotten here anyway
  }
  location.hash = "#/";
  route();
});

document.getElementById("skip").addEventListener("click", (event) => {
  event.preventDefault(); // the hash is the router's
  main.focus();
});

window.addEventListener("hashchange", route);
route();
