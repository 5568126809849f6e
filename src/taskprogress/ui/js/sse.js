// Server-Sent Events read with fetch(), since EventSource cannot send an Authorization header.
//
// `EventStreamParser` is the WHATWG "event stream interpretation" algorithm over text chunks; `followEventStream`
// reads a stream, reconnects after a drop with `Last-Event-ID` (so nothing is missed or seen twice), and stops at
// the event its caller calls final, on an API error, or when aborted.

export class EventStreamParser {
  /** `onEvent({type, data, id})` for every dispatched event; `id` is the last event id seen so far. */
  constructor(onEvent) {
    this.onEvent = onEvent;
    this.lastEventId = "";
    this.retry = null; // a `retry:` field, in ms
    this.pending = ""; // an incomplete line
    this.first = true;
    this.#reset();
  }

  #reset() {
    this.type = "";
    this.data = [];
  }

  /** Feed decoded text; events complete in it are dispatched. */
  feed(text) {
    if (this.first && text.length) {
      if (text.charCodeAt(0) === 0xfeff) text = text.slice(1);
      this.first = false;
    }
    let buffer = this.pending + text;
    // A CR at the very end may be the first half of a CRLF: keep it for the next chunk.
    const held = buffer.endsWith("\r") ? "\r" : "";
    if (held) buffer = buffer.slice(0, -1);
    const lines = buffer.split(/\r\n|\r|\n/);
    this.pending = lines.pop() + held;
    for (const line of lines) this.#line(line);
  }

  /** The stream ended: a line without its end still counts, an event without its blank line does not. */
  end() {
    const rest = this.pending.replace(/\r$/, "");
    this.pending = "";
    if (rest) this.#line(rest);
    this.#reset();
  }

  #line(line) {
    if (line === "") {
      this.#dispatch();
      return;
    }
    if (line.startsWith(":")) return; // a comment (keep-alive)
    const colon = line.indexOf(":");
    const field = colon === -1 ? line : line.slice(0, colon);
    let value = colon === -1 ? "" : line.slice(colon + 1);
    if (value.startsWith(" ")) value = value.slice(1);
    if (field === "event") this.type = value;
    else if (field === "data") this.data.push(value);
    else if (field === "id") {
      if (!value.includes("\0")) this.lastEventId = value;
    } else if (field === "retry" && /^\d+$/.test(value)) this.retry = Number(value);
  }

  #dispatch() {
    if (this.data.length === 0) {
      this.#reset();
      return;
    }
    const event = { type: this.type || "message", data: this.data.join("\n"), id: this.lastEventId };
    this.#reset();
    this.onEvent(event);
  }
}

function sleep(ms, signal) {
  return new Promise((resolve) => {
    const timer = setTimeout(resolve, ms);
    signal?.addEventListener("abort", () => {
      clearTimeout(timer);
      resolve();
    });
  });
}

/**
 * Follow an event stream to its end.
 *
 * - `open(lastEventId)`: a Promise of a fetch Response (2xx, `text/event-stream`); it throws for an API error,
 *   which ends the follow (a network error is retried);
 * - `onEvent(event)`, and `isFinal(event)`: true for the last event (then the follow returns);
 * - `onStatus(status)`: "connecting", "live", "reconnecting" (with the delay in ms), "ended";
 * - retries wait `retryMs`, doubling up to `maxRetryMs` (the server's `retry:` field sets the base).
 *
 * Returns the last event id, or throws what `open` threw.
 */
export async function followEventStream({
  open,
  onEvent,
  isFinal = () => false,
  onStatus = () => {},
  signal,
  retryMs = 500,
  maxRetryMs = 8000,
  isFatal = (error) => error?.name !== "TypeError", // fetch's network failures are TypeErrors
}) {
  let lastEventId = null;
  let base = retryMs;
  let delay = base;
  onStatus("connecting");
  while (!signal?.aborted) {
    let finished = false;
    const parser = new EventStreamParser((event) => {
      lastEventId = event.id || lastEventId;
      if (finished) return;
      onEvent(event);
      if (isFinal(event)) finished = true;
    });
    try {
      const response = await open(lastEventId);
      onStatus("live");
      const reader = response.body.pipeThrough(new TextDecoderStream()).getReader();
      try {
        while (!finished) {
          const { value, done } = await reader.read();
          if (done) {
            parser.end();
            break;
          }
          parser.feed(value);
          delay = base; // something arrived: the next drop starts with a short wait again
        }
      } finally {
        reader.cancel().catch(() => {}); // closes the connection when we stop early; harmless after the end
      }
    } catch (error) {
      if (signal?.aborted) break;
      if (isFatal(error)) throw error;
    }
    if (finished) {
      onStatus("ended");
      return lastEventId;
    }
    if (signal?.aborted) break;
    if (parser.retry !== null) base = parser.retry;
    onStatus("reconnecting", delay);
    await sleep(delay, signal);
    delay = Math.min(delay * 2, maxRetryMs);
  }
  onStatus("ended");
  return lastEventId;
}
