// Formatting for people: record contents, percents, durations, times. Pure functions, no DOM.

/** A record's text: ZStack's `content` is a Java format string and `arguments` the JSON list of its values. */
export function recordText(record) {
  const fmt = record.content ?? "";
  let args = [];
  try {
    const parsed = JSON.parse(record.arguments || "[]");
    if (Array.isArray(parsed)) args = parsed;
  } catch {
    // arguments that are not JSON: show the format as it is
  }
  let next = 0;
  return fmt.replace(/%(?:(\d+)\$)?([sdfx%])/g, (match, position, conversion) => {
    if (conversion === "%") return "%";
    const index = position ? Number(position) - 1 : next++;
    if (index >= args.length) return match;
    const value = args[index];
    return typeof value === "string" ? value : JSON.stringify(value);
  });
}

/** "42%" with at most one decimal; "–" when unknown. */
export function percentText(percent) {
  if (percent === null || percent === undefined || Number.isNaN(percent)) return "–";
  return `${Math.round(percent * 10) / 10}%`;
}

/** "1 h 2 min", "3 min 5 s", "12 s", "0.4 s". */
export function durationText(seconds) {
  if (seconds === null || seconds === undefined || !Number.isFinite(seconds)) return "unknown";
  if (seconds < 10) return `${Math.round(seconds * 10) / 10} s`;
  const s = Math.round(seconds);
  if (s < 60) return `${s} s`;
  if (s < 3600) return `${Math.floor(s / 60)} min ${s % 60} s`;
  return `${Math.floor(s / 3600)} h ${Math.floor((s % 3600) / 60)} min`;
}

/** Percent points per second, as "2.5 %/s"; very slow rates per minute. */
export function rateText(rate) {
  if (rate === null || rate === undefined || !Number.isFinite(rate)) return "–";
  if (rate > 0 && rate < 0.1) return `${Math.round(rate * 600) / 10} %/min`;
  return `${Math.round(rate * 10) / 10} %/s`;
}

const ETA_BASIS = {
  rate: "from the recent rate",
  history: "from earlier runs",
  unknown: "no basis yet",
  finished: "finished",
};

/** The ETA and what it is based on, from a GetTaskProgress summary. */
export function etaText(summary) {
  if (!summary) return "unknown";
  if (summary.etaBasis === "finished" || summary.finished) return "done";
  if (summary.etaSeconds === null || summary.etaSeconds === undefined) return "unknown (no basis yet)";
  return `about ${durationText(summary.etaSeconds)} (${ETA_BASIS[summary.etaBasis] ?? summary.etaBasis})`;
}

function pad(n, width = 2) {
  return String(n).padStart(width, "0");
}

/** Local wall-clock time of an epoch-ms instant: "14:03:07.251". */
export function clockText(epochMs) {
  const d = new Date(epochMs);
  return `${pad(d.getHours())}:${pad(d.getMinutes())}:${pad(d.getSeconds())}.${pad(d.getMilliseconds(), 3)}`;
}

/** An offset from the start: "+1.25 s", "+2 min 3 s". */
export function offsetText(ms) {
  if (ms < 60000) return `+${(ms / 1000).toFixed(2)} s`;
  return `+${durationText(ms / 1000)}`;
}

/** ZStack's Gson dates ("Nov 27, 2026 7:54:17 AM", server local time) as epoch ms; NaN when unreadable. */
export function parseZStackDate(text) {
  if (!text) return NaN;
  const m = /^([A-Z][a-z]{2}) (\d{1,2}), (\d{4}) (\d{1,2}):(\d{2}):(\d{2}) ([AP]M)$/.exec(text.trim());
  if (!m) return Date.parse(text);
  const month = "JanFebMarAprMayJunJulAugSepOctNovDec".indexOf(m[1]) / 3;
  let hour = Number(m[4]) % 12;
  if (m[7] === "PM") hour += 12;
  return new Date(Number(m[3]), month, Number(m[2]), hour, Number(m[5]), Number(m[6])).getTime();
}
