// The job list: the caller's running API jobs, its long jobs, and what was opened recently in this tab.
// Refreshed every few seconds while shown (and at once when the tab becomes visible again).

import { SessionExpired } from "../api.js";
import { badge, h, progressBar, setProgress } from "../dom.js";
import { clockText, parseZStackDate, percentText } from "../format.js";
import { recentlyViewed } from "../recent.js";

const REFRESH_MS = 2000;
const API_ID = /^[0-9a-f]{32}$/;

function shortName(apiName) {
  return String(apiName ?? "").split(".").pop().replace(/^API/, "").replace(/Msg$/, "") || "API";
}

function dateCell(text) {
  const ms = parseZStackDate(text);
  return h("td", {}, Number.isNaN(ms) ? text ?? "" : h("time", { datetime: new Date(ms).toISOString() }, text));
}

function runningTable(apis) {
  if (apis.length === 0) return h("p", { class: "empty" }, "No API job is running.");
  return h(
    "table",
    { class: "jobs", id: "running-apis" },
    h("caption", { class: "visually-hidden" }, "Running API jobs"),
    h("thead", {}, h("tr", {}, ["API", "Started", "Progress", "Last progress"].map((t) => h("th", { scope: "col" }, t)))),
    h(
      "tbody",
      {},
      apis.map((api) => {
        const bar = progressBar(`Progress of ${shortName(api.apiName)} ${api.apiId}`);
        setProgress(bar, api.percent ?? null);
        return h(
          "tr",
          { dataset: { apiId: api.apiId } },
          h("td", {}, h("a", { href: `#/api/${api.apiId}` }, shortName(api.apiName)), h("div", { class: "id" }, api.apiId)),
          dateCell(api.createDate),
          h("td", { class: "progress-cell" }, bar, h("span", { class: "pct" }, percentText(api.percent))),
          h("td", {}, api.lastProgressTime ? clockText(api.lastProgressTime) : "–"),
        );
      }),
    ),
  );
}

function longJobTable(jobs) {
  if (jobs.length === 0) return h("p", { class: "empty" }, "No long job yet.");
  return h(
    "table",
    { class: "jobs", id: "long-jobs" },
    h("caption", { class: "visually-hidden" }, "Long jobs"),
    h("thead", {}, h("tr", {}, ["Name", "Job", "State", "Created"].map((t) => h("th", { scope: "col" }, t)))),
    h(
      "tbody",
      {},
      jobs.map((job) =>
        h(
          "tr",
          { dataset: { uuid: job.uuid, state: job.state } },
          h("td", {}, h("a", { href: `#/longjob/${job.uuid}` }, job.name || job.uuid), h("div", { class: "id" }, job.uuid)),
          h("td", {}, job.jobName ?? ""),
          h("td", {}, badge(job.state ?? "unknown")),
          dateCell(job.createDate),
        ),
      ),
    ),
  );
}

export function jobsView({ client, notify }) {
  const running = h("div", { class: "section-body" }, h("p", { class: "empty" }, "Loading…"));
  const longJobs = h("div", { class: "section-body" }, h("p", { class: "empty" }, "Loading…"));
  const updated = h("p", { class: "updated", id: "updated" });
  const apiInput = h("input", { id: "open-api-id", name: "apiId", pattern: "[0-9a-f]{32}", size: 34, required: true });
  const recent = recentlyViewed(client.session?.uuid);
  const element = h(
    "div",
    { class: "jobs-view" },
    h("div", { class: "title-row" }, h("h2", {}, "Jobs"), updated),
    h("section", { "aria-labelledby": "running-title", class: "card" }, h("h3", { id: "running-title" }, "Running API jobs"), running),
    h("section", { "aria-labelledby": "long-title", class: "card" }, h("h3", { id: "long-title" }, "Long jobs"), longJobs),
    recent.length
      ? h(
          "section",
          { "aria-labelledby": "recent-title", class: "card" },
          h("h3", { id: "recent-title" }, "Recently opened"),
          h("ul", { class: "recent" }, recent.map((r) => h("li", {}, h("a", { href: r.href }, r.label), " ", h("span", { class: "id" }, r.id)))),
        )
      : null,
    h(
      "section",
      { "aria-labelledby": "open-title", class: "card" },
      h("h3", { id: "open-title" }, "Open an API by id"),
      h(
        "form",
        {
          class: "inline",
          onsubmit: (event) => {
            event.preventDefault();
            const id = apiInput.value.trim().toLowerCase();
            if (API_ID.test(id)) location.hash = `#/api/${id}`;
          },
        },
        h("label", { for: "open-api-id" }, "API id"),
        apiInput,
        h("button", { type: "submit" }, "Open"),
      ),
    ),
  );

  const abort = new AbortController();
  let timer = null;
  let longJobsMissing = false;

  async function refresh() {
    clearTimeout(timer);
    const signal = abort.signal;
    try {
      const [apis, jobs] = await Promise.all([
        client.runningApis({ signal }),
        longJobsMissing
          ? null
          : client.longJobs({ signal }).catch((e) => {
              if (e.status === 404 || e.status === 405) {
                longJobsMissing = true; // a server without the LongJob API
                return null;
              }
              throw e;
            }),
      ]);
      running.replaceChildren(runningTable(apis));
      longJobs.replaceChildren(jobs ? longJobTable(jobs) : h("p", { class: "empty" }, "This server has no LongJob API."));
      updated.textContent = `Updated ${clockText(Date.now()).slice(0, 8)}`;
      notify(null);
    } catch (e) {
      if (signal.aborted || e instanceof SessionExpired) return;
      notify(e);
    }
    if (!signal.aborted) timer = setTimeout(refresh, REFRESH_MS);
  }

  const onVisible = () => {
    if (document.visibilityState === "visible") refresh();
  };

  return {
    element,
    title: "Jobs",
    mounted() {
      refresh();
      document.addEventListener("visibilitychange", onVisible);
    },
    dispose() {
      abort.abort();
      clearTimeout(timer);
      document.removeEventListener("visibilitychange", onVisible);
    },
  };
}
