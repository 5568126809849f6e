// A few DOM helpers: elements are built from data with textContent, never from HTML strings.

/** `h("a", {href: "#/", class: "x", onclick: f, "aria-label": "..."}, "text", child, [children])`. */
export function h(tag, attrs = {}, ...children) {
  const element = document.createElement(tag);
  for (const [name, value] of Object.entries(attrs)) {
    if (value === null || value === undefined || value === false) continue;
    if (name.startsWith("on") && typeof value === "function") element.addEventListener(name.slice(2), value);
    else if (name === "class") element.className = value;
    else if (name === "dataset") Object.assign(element.dataset, value);
    else if (value === true) element.setAttribute(name, "");
    else element.setAttribute(name, String(value));
  }
  append(element, children);
  return element;
}

function append(element, children) {
  for (const child of children) {
    if (child === null || child === undefined || child === false) continue;
    if (Array.isArray(child)) append(element, child);
    else element.append(child instanceof Node ? child : String(child));
  }
}

/** An accessible progress bar: `role="progressbar"` with aria values; the fill's width is the percent. */
export function progressBar(label, { large = false } = {}) {
  const fill = h("div", { class: "fill" });
  const bar = h("div", {
    class: large ? "bar large" : "bar",
    role: "progressbar",
    "aria-label": label,
    "aria-valuemin": 0,
    "aria-valuemax": 100,
  }, fill);
  setProgress(bar, null);
  return bar;
}

/** Set a bar made by `progressBar` (null: unknown, shown as an empty bar without aria-valuenow). */
export function setProgress(bar, percent, text) {
  const fill = bar.firstElementChild;
  if (percent === null || percent === undefined || !Number.isFinite(percent)) {
    bar.removeAttribute("aria-valuenow");
    bar.setAttribute("aria-valuetext", text ?? "not known yet");
    fill.style.width = "0%";
    return;
  }
  const clamped = Math.max(0, Math.min(100, percent));
  bar.setAttribute("aria-valuenow", String(Math.round(clamped * 10) / 10));
  bar.setAttribute("aria-valuetext", text ?? `${Math.round(clamped * 10) / 10}%`);
  fill.style.width = `${clamped}%`; // CSSOM: allowed by the Content-Security-Policy, unlike style attributes
}

/** A badge: a short state word with a colour class (`state-running`, `state-failed`...). */
export function badge(text, kind = text) {
  return h("span", { class: `badge state-${String(kind).toLowerCase()}` }, text);
}
