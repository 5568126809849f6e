// One API's live progress: the overall bar with percent, rate, ETA and its basis, a stalled badge, the tree of
// sub-tasks (each with its bar) and steps, and the step timeline; for a long job also its state and a cancel button.
//
// A snapshot (GetTaskProgress all=true) is drawn first, then the event stream keeps it live (resumed with
// Last-Event-ID after a drop). A server without the stream is polled instead.

import { SessionExpired } from "../api.js";
import { badge, h, progressBar, setProgress } from "../dom.js";
import { clockText, durationText, etaText, offsetText, parseZStackDate, percentText, rateText, recordText } from "../format.js";
import { rememberViewed } from "../recent.js";
import { followEventStream } from "../sse.js";
import { depth, isSubtask, ProgressModel, stepCount } from "../tree.js";

const POLL_MS = 1000;
const LONG_JOB_REFRESH_MS = 1500;
const FINAL_LONG_JOB_STATES = new Set(["Succeeded", "Failed", "Canceled"]);
const CANCELABLE_LONG_JOB_STATES = new Set(["Waiting", "Running", "Suspended"]);

/** The server's rule for "over": the API job has its result and the progress (if any) is finished. */
function over(summary) {
  if (!summary) return false;
  const hasProgress = "startedAt" in summary || "percent" in summary;
  if (!summary.state && !hasProgress) return false;
  return summary.state !== "processing" && (!hasProgress || Boolean(summary.finished));
}

function sleep(ms, signal) {
  return new Promise((resolve) => {
    const timer = setTimeout(resolve, ms);
    signal.addEventListener("abort", () => {
      clearTimeout(timer);
      resolve();
    });
  });
}

function timeElement(ms) {
  return h("time", { datetime: new Date(ms).toISOString() }, clockText(ms));
}

export function progressView({ client, notify, apiId = null, longJobUuid = null }) {
  const model = new ProgressModel();
  const abort = new AbortController();
  const signal = abort.signal;

  // -- the page ------------------------------------------------------------------------------------------------
  const title = h("h2", { id: "progress-title" }, longJobUuid ? "Long job" : "API");
  const subtitle = h("p", { class: "id", id: "progress-id" }, apiId ?? longJobUuid);
  const overall = progressBar("Overall progress", { large: true });
  overall.id = "overall-bar";
  const overallPercent = h("span", { class: "pct big", id: "overall-percent" }, "–");
  const stateBadge = h("span", { id: "api-state" });
  const stalledBadge = h("span", { class: "badge stalled", id: "stalled", hidden: true }, "Stalled");
  const streamStatus = h("span", { class: "stream", id: "stream-status" }, "connecting…");
  const facts = {
    rate: h("dd", { id: "rate" }, "–"),
    eta: h("dd", { id: "eta" }, "unknown"),
    last: h("dd", { id: "last-progress" }, "–"),
    started: h("dd", { id: "started" }, "–"),
  };
  const tree = h("ul", { class: "tree", id: "tree" });
  const timeline = h("ol", { class: "timeline", id: "timeline" });
  const longJobCard = longJobUuid ? longJobPanel() : null;

  const element = h(
    "div",
    { class: "progress-view" },
    h("nav", { "aria-label": "Breadcrumb", class: "crumbs" }, h("a", { href: "#/" }, "← All jobs")),
    title,
    subtitle,
    longJobCard?.element,
    h(
      "section",
      { class: "card overview", "aria-labelledby": "overview-title" },
      h("h3", { id: "overview-title" }, "Overall progress"),
      h("div", { class: "overall" }, overall, overallPercent),
      h("div", { class: "badges" }, stateBadge, stalledBadge, streamStatus),
      h(
        "dl",
        { class: "facts" },
        h("dt", {}, "Rate"),
        facts.rate,
        h("dt", {}, "ETA"),
        facts.eta,
        h("dt", {}, "Last progress"),
        facts.last,
        h("dt", {}, "Started"),
        facts.started,
      ),
    ),
    h(
      "section",
      { class: "card", "aria-labelledby": "tree-title" },
      h("h3", { id: "tree-title" }, "Sub-tasks and steps"),
      tree,
    ),
    h("section", { class: "card", "aria-labelledby": "timeline-title" }, h("h3", { id: "timeline-title" }, "Timeline"), timeline),
  );

  // -- drawing -------------------------------------------------------------------------------------------------
  let drawn = -1;
  let drawTimer = null;
  let summaryAt = Date.now();
  let jobState = null; // a long job's state, once known
  let unavailable = false; // the progress could not be read (the error is shown)

  function queueDraw() {
    if (drawTimer === null) drawTimer = setTimeout(draw, 16);
  }

  function draw() {
    drawTimer = null;
    const summary = model.summary;
    const percent = model.percent;
    setProgress(overall, percent, percent === null ? undefined : `${percentText(percent)} of the whole job`);
    overallPercent.textContent = percentText(percent);
    stateBadge.replaceChildren(badge(overallState()));
    stalledBadge.hidden = !(summary?.stalled && !model.finished);
    facts.rate.textContent = model.finished ? "–" : rateText(summary?.rate);
    facts.eta.textContent = etaText(countedDown(summary));
    const last = summary?.lastProgressAt ?? null;
    facts.last.replaceChildren(
      last ? timeElement(last) : "–",
      last && !model.finished ? ` (${durationText((Date.now() - last) / 1000)} ago)` : "",
    );
    const started = model.startedAt;
    facts.started.replaceChildren(started ? timeElement(started) : "–");
    if (drawn !== model.version) {
      drawn = model.version;
      drawTree();
      drawTimeline();
      if (model.taskName && !longJobUuid) title.textContent = model.taskName;
    }
  }

  /** A long job's own state says more than its submit call's (which succeeds as soon as the job is running). */
  function overallState() {
    if (unavailable) return "unavailable";
    if (jobState) return jobState.toLowerCase();
    if (!model.finished) return "running";
    return model.state && model.state !== "processing" ? model.state : "finished";
  }

  /** The ETA counted down since the summary came (the server sends a new one only when something moves). */
  function countedDown(summary) {
    if (!summary || summary.etaSeconds === null || summary.etaSeconds === undefined || model.finished) return summary;
    const elapsed = (Date.now() - summaryAt) / 1000;
    return { ...summary, etaSeconds: Math.max(0, summary.etaSeconds - elapsed) };
  }

  function drawTree() {
    if (model.roots.length === 0) {
      tree.replaceChildren(h("li", { class: "empty" }, model.finished ? "No steps were reported." : "Waiting for progress…"));
      return;
    }
    tree.replaceChildren(...model.roots.map(nodeItem));
  }

  function nodeItem(node) {
    const text = recordText(node.record);
    const time = timeElement(node.record.time);
    if (!isSubtask(node)) {
      return h("li", { class: "step", dataset: { taskUuid: node.record.taskUuid } }, h("span", { class: "text" }, text), " ", time);
    }
    const bar = progressBar(`Progress of ${text}`);
    setProgress(bar, node.percent, node.percent === null ? undefined : `${percentText(node.percent)} of the whole job`);
    const steps = stepCount(node);
    return h(
      "li",
      { class: "subtask", dataset: { taskUuid: node.record.taskUuid } },
      h(
        "div",
        { class: "row" },
        h("span", { class: "text" }, text),
        h("span", { class: "steps" }, steps ? `step ${steps.current} of ${steps.total}` : ""),
        time,
        bar,
        h("span", { class: "pct" }, percentText(node.percent)),
      ),
      node.children.length ? h("ul", {}, node.children.map(nodeItem)) : null,
    );
  }

  function drawTimeline() {
    const start = model.steps[0]?.record.time ?? 0;
    const items = model.steps.map((node) => {
      const level = Math.min(6, depth(node));
      return h(
        "li",
        { class: `depth-${level}` },
        timeElement(node.record.time),
        h("span", { class: "offset" }, offsetText(node.record.time - start)),
        h("span", { class: "text" }, recordText(node.record)),
      );
    });
    if (model.finished) {
      const end = model.summary?.finishedAt ?? model.summary?.lastProgressAt;
      items.push(
        h(
          "li",
          { class: "end" },
          end ? timeElement(end) : h("time", {}, ""),
          h("span", { class: "offset" }, end && model.steps.length ? offsetText(end - start) : ""),
          h("span", { class: "text" }, `Finished: ${overallState()}`),
        ),
      );
    }
    timeline.replaceChildren(...items);
  }

  // -- following the API ---------------------------------------------------------------------------------------
  function onEvent(event) {
    let data;
    try {
      data = JSON.parse(event.data);
    } catch {
      return;
    }
    if (event.type === "progress") model.add(data.inventory);
    else if (event.type === "summary") {
      model.setSummary(data.summary);
      summaryAt = Date.now();
    } else if (event.type === "finished") {
      model.finish(data.state, data.summary);
      longJobCard?.refresh();
    }
    queueDraw();
  }

  function onStatus(status, delay) {
    streamStatus.textContent =
      status === "reconnecting" ? `reconnecting in ${durationText(delay / 1000)}…` : status === "live" ? "live" : status;
    streamStatus.dataset.status = status;
  }

  async function follow(id) {
    subtitle.textContent = longJobUuid ? `long job ${longJobUuid} · API ${id}` : id;
    const snapshot = await client.taskProgress(id, { all: true, signal });
    model.addForest(snapshot.inventories);
    model.setSummary(snapshot.summary);
    summaryAt = Date.now();
    queueDraw();
    if (over(snapshot.summary)) {
      model.finish(snapshot.summary.state, snapshot.summary);
      onStatus("ended");
      queueDraw();
      return;
    }
    try {
      await followEventStream({
        open: (lastEventId) => client.progressEvents(id, { lastEventId, signal }),
        onEvent,
        isFinal: (event) => event.type === "finished",
        onStatus,
        signal,
      });
    } catch (e) {
      if (e.status !== 404) throw e;
      await poll(id); // a server without the event stream
    }
  }

  async function poll(id) {
    onStatus("polling");
    while (!signal.aborted) {
      await sleep(POLL_MS, signal);
      if (signal.aborted) return;
      const reply = await client.taskProgress(id, { all: true, signal });
      model.addForest(reply.inventories);
      model.setSummary(reply.summary);
      summaryAt = Date.now();
      if (over(reply.summary)) {
        model.finish(reply.summary.state, reply.summary);
        onStatus("ended");
      }
      queueDraw();
      if (model.finished) return;
    }
  }

  // -- a long job ----------------------------------------------------------------------------------------------
  function longJobPanel() {
    const state = h("span", { id: "longjob-state", role: "status" });
    const fields = {
      name: h("dd", { id: "longjob-name" }, "–"),
      jobName: h("dd", { id: "longjob-type" }, "–"),
      created: h("dd", { id: "longjob-created" }, "–"),
      result: h("dd", { id: "longjob-result" }, "–"),
    };
    const cancel = h("button", { type: "button", class: "danger", id: "cancel-job", hidden: true, onclick: onCancel }, "Cancel job");
    const panel = h(
      "section",
      { class: "card longjob", "aria-labelledby": "longjob-title" },
      h("h3", { id: "longjob-title" }, "Long job"),
      h(
        "dl",
        { class: "facts" },
        h("dt", {}, "State"),
        h("dd", {}, state),
        h("dt", {}, "Name"),
        fields.name,
        h("dt", {}, "Job"),
        fields.jobName,
        h("dt", {}, "Created"),
        fields.created,
        h("dt", {}, "Result"),
        fields.result,
      ),
      cancel,
    );
    let job = null;
    let timer = null;
    let canceling = false;

    function show(inventory) {
      if (!inventory) return;
      job = inventory;
      title.textContent = job.name || job.jobName || "Long job";
      state.replaceChildren(badge(job.state ?? "unknown"));
      state.dataset.state = job.state ?? "";
      fields.name.textContent = job.name || "–";
      fields.jobName.textContent = job.jobName ?? "–";
      const created = parseZStackDate(job.createDate);
      fields.created.replaceChildren(Number.isNaN(created) ? job.createDate ?? "–" : timeElement(created));
      fields.result.textContent = job.jobResult ?? "–";
      cancel.hidden = !CANCELABLE_LONG_JOB_STATES.has(job.state);
      cancel.disabled = canceling;
      if (jobState !== job.state) {
        jobState = job.state ?? null;
        model.version++; // the timeline's last line names the state
        queueDraw();
      }
    }

    async function refresh() {
      clearTimeout(timer);
      try {
        show(await client.longJob(longJobUuid, { signal }));
      } catch (e) {
        if (!signal.aborted && !(e instanceof SessionExpired)) notify(e);
      }
      if (!signal.aborted && !(job && FINAL_LONG_JOB_STATES.has(job.state))) timer = setTimeout(refresh, LONG_JOB_REFRESH_MS);
    }

    async function onCancel() {
      canceling = true;
      cancel.disabled = true;
      cancel.textContent = "Canceling…";
      try {
        const reply = await client.cancelLongJob(longJobUuid, { signal });
        show(reply.inventory);
        notify(null);
      } catch (e) {
        if (!signal.aborted && !(e instanceof SessionExpired)) notify(e);
      } finally {
        canceling = false;
        cancel.textContent = "Cancel job";
        cancel.disabled = false;
        refresh();
      }
    }

    return {
      element: panel,
      refresh,
      async load() {
        const inventory = await client.longJob(longJobUuid, { signal });
        if (!inventory) throw Object.assign(new Error(`No long job ${longJobUuid} is visible to this session.`), { code: "not found" });
        show(inventory);
        timer = setTimeout(refresh, LONG_JOB_REFRESH_MS);
        return inventory;
      },
      dispose() {
        clearTimeout(timer);
      },
    };
  }

  // -- lifecycle -----------------------------------------------------------------------------------------------
  const clock = setInterval(queueDraw, 1000);

  async function start() {
    try {
      let id = apiId;
      if (longJobCard) {
        const job = await longJobCard.load();
        id = job.apiId;
        rememberViewed(client.session?.uuid, { href: `#/longjob/${longJobUuid}`, label: job.name || job.jobName, id: longJobUuid });
      } else {
        rememberViewed(client.session?.uuid, { href: `#/api/${apiId}`, label: "API", id: apiId });
      }
      await follow(id);
    } catch (e) {
      if (signal.aborted || e instanceof SessionExpired) return;
      unavailable = true;
      onStatus("ended");
      queueDraw();
      notify(e);
    }
  }

  return {
    element,
    title: longJobUuid ? "Long job" : "API progress",
    mounted() {
      draw();
      start();
    },
    dispose() {
      abort.abort();
      clearInterval(clock);
      clearTimeout(drawTimer);
      longJobCard?.dispose();
    },
  };
}
