// An API's progress as the dashboard shows it, built from flat records (the event stream) or a GetTaskProgress
// forest. Pure: no DOM, no I/O.
//
// ZStack's records: a `Task` record is a step or the start of a sub-task; records written inside a sub-task have
// its `taskUuid` as `parentUuid`; a `Progress` record's `content` is a percent of the *whole API* (stages map local
// percents into it before the record is written). So the tree shown is made of the Task records; each Progress
// record sets the percent of the sub-tasks it is inside (the newest report inside one is its bar), and a Progress
// record at the top level only moves the overall bar.

export class ProgressModel {
  constructor() {
    this.nodes = new Map(); // taskUuid -> node, Task and Progress records alike
    this.roots = []; // top-level Task nodes
    this.steps = []; // every Task node, in arrival order: the timeline
    this.latestPercent = null; // the newest Progress record's percent
    this.summary = null;
    this.finished = false;
    this.state = null; // the API job's state from the final event: processing, succeeded, failed
    this.version = 0; // bumped on every change, so views redraw only when needed
  }

  /** Add one record (an inventory without `subTasks`); false when it was already there. */
  add(record) {
    if (!record || !record.taskUuid || this.nodes.has(record.taskUuid)) return false;
    const parent = record.parentUuid ? this.nodes.get(record.parentUuid) ?? null : null;
    const node = { record, parent, children: [], percent: null, progressAt: null, reports: 0 };
    this.nodes.set(record.taskUuid, node);
    this.version++;
    if (record.type === "Progress") {
      const percent = Number.parseFloat(record.content);
      if (Number.isFinite(percent)) {
        this.latestPercent = percent;
        for (let n = parent; n; n = n.parent) {
          n.percent = percent;
          n.progressAt = record.time;
          n.reports++;
        }
      }
      return true;
    }
    (parent && parent.record.type === "Task" ? parent.children : this.roots).push(node);
    this.steps.push(node);
    return true;
  }

  /** Add every record of an `all=true` forest, parents before children, in the order they were written. */
  addForest(inventories) {
    const flat = [];
    const visit = (list) => {
      for (const inventory of list ?? []) {
        const { subTasks, ...record } = inventory;
        flat.push(record);
        visit(subTasks);
      }
    };
    visit(inventories);
    flat.sort((a, b) => (a.time ?? 0) - (b.time ?? 0)); // stable: a parent keeps its place before its children
    let added = 0;
    for (const record of flat) if (this.add(record)) added++;
    return added;
  }

  setSummary(summary) {
    if (!summary) return;
    this.summary = summary;
    if (summary.state) this.state = summary.state;
    if (summary.finished && summary.state !== "processing") this.finished = true;
    this.version++;
  }

  finish(state, summary) {
    if (summary) this.setSummary(summary);
    this.finished = true;
    if (state) this.state = state;
    this.version++;
  }

  /** The overall percent: the summary's, else the newest report's. */
  get percent() {
    const fromSummary = this.summary?.percent;
    return fromSummary === null || fromSummary === undefined ? this.latestPercent : fromSummary;
  }

  /** The API's name: the task name of its first record. */
  get taskName() {
    return this.summary?.taskName ?? this.steps[0]?.record.taskName ?? null;
  }

  get startedAt() {
    return this.summary?.startedAt ?? this.steps[0]?.record.time ?? null;
  }
}

/** A node with something inside it (child steps or progress reports) is a sub-task; otherwise a plain step. */
export function isSubtask(node) {
  return node.children.length > 0 || node.reports > 0;
}

/** "step 2 of 3" of a sub-task whose steps carry `currentStep`/`totalSteps`, else null. */
export function stepCount(node) {
  for (let i = node.children.length - 1; i >= 0; i--) {
    const { currentStep, totalSteps } = node.children[i].record;
    if (totalSteps) return { current: currentStep ?? i + 1, total: totalSteps };
  }
  return null;
}

/** How deep a node is: 0 for a top-level step. */
export function depth(node) {
  let d = 0;
  for (let n = node.parent; n; n = n.parent) d++;
  return d;
}
