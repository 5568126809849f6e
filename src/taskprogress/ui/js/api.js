// A client of the server's ZStack REST API (/zstack/v1): sessions, errors, async APIs, the calls the dashboard makes.

export const API_BASE = "/zstack/v1";
const SESSION_KEY = "taskprogress.session";
const ASYNC_POLL_MS = 200;
const ASYNC_TIMEOUT_MS = 60000;

/** An API failure: ZStack's ErrorCode (HTTP 503 `{"error": {code, description, details}}`), or a refusal before the
 * API ran (plain text 400/404/405: `code` is "HTTP <status>"). */
export class ApiError extends Error {
  constructor(status, code, description, details) {
    super(details ? `${description}: ${details}` : description);
    this.name = "ApiError";
    this.status = status;
    this.code = code;
    this.description = description;
    this.details = details;
  }
}

/** ID.1001: the session is unknown or has expired; the user must log in again. */
export class SessionExpired extends ApiError {
  constructor(status, code, description, details) {
    super(status, code, description, details);
    this.name = "SessionExpired";
  }
}

/** The lower-case hex SHA-512 of a password: what ZStack's login wants (it never sees the plain text). */
export async function sha512Hex(text) {
  const digest = await crypto.subtle.digest("SHA-512", new TextEncoder().encode(text));
  return Array.from(new Uint8Array(digest), (b) => b.toString(16).padStart(2, "0")).join("");
}

/** The error an unsuccessful response stands for. */
export async function responseError(response) {
  const text = await response.text();
  let error = null;
  try {
    error = JSON.parse(text).error ?? null;
  } catch {
    // plain text: a REST-level refusal
  }
  if (error && typeof error === "object" && error.code) {
    const Kind = error.code === "ID.1001" ? SessionExpired : ApiError;
    return new Kind(response.status, error.code, error.description ?? error.code, error.details ?? "");
  }
  return new ApiError(response.status, `HTTP ${response.status}`, text.trim() || response.statusText, "");
}

function sleep(ms, signal) {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(resolve, ms);
    signal?.addEventListener("abort", () => {
      clearTimeout(timer);
      reject(signal.reason);
    });
  });
}

export class ZStackClient {
  /** `onSessionExpired(error)` is called once per expiry, whichever call found it. */
  constructor({ base = API_BASE, storage = sessionStorage, onSessionExpired = () => {} } = {}) {
    this.base = base;
    this.storage = storage;
    this.onSessionExpired = onSessionExpired;
  }

  /** `{uuid, accountName, expiredDate}` of the logged-in session, or null. */
  get session() {
    try {
      return JSON.parse(this.storage.getItem(SESSION_KEY) ?? "null");
    } catch {
      return null;
    }
  }

  set session(value) {
    if (value) this.storage.setItem(SESSION_KEY, JSON.stringify(value));
    else this.storage.removeItem(SESSION_KEY);
  }

  authHeaders() {
    const session = this.session;
    return session ? { Authorization: `OAuth ${session.uuid}` } : {};
  }

  async login(accountName, password) {
    const body = { logInByAccount: { accountName, password: await sha512Hex(password) } };
    const reply = await this.request("PUT", "/accounts/login", { body, auth: false });
    this.session = { uuid: reply.inventory.uuid, accountName, expiredDate: reply.inventory.expiredDate };
    return reply.inventory;
  }

  /** LogOut; the session is forgotten here even when the server cannot be reached. */
  async logout() {
    const session = this.session;
    this.session = null;
    if (session) await this.request("DELETE", `/accounts/sessions/${encodeURIComponent(session.uuid)}`, { auth: false });
  }

  /** Send one request; the parsed JSON body of a 2xx answer, or throws ApiError / SessionExpired. */
  async request(method, path, { body, auth = true, headers = {}, signal, raw = false } = {}) {
    const init = { method, headers: { ...headers, ...(auth ? this.authHeaders() : {}) }, signal, cache: "no-store" };
    if (body !== undefined) {
      init.body = JSON.stringify(body);
      init.headers["Content-Type"] = "application/json";
    }
    const url = path.startsWith("/zstack/") ? path : this.base + path;
    const response = await fetch(url, init);
    if (!response.ok) throw this.#expired(await responseError(response));
    if (raw) return response;
    const text = await response.text();
    return { ...(text ? JSON.parse(text) : {}), httpStatus: response.status };
  }

  #expired(error) {
    if (error instanceof SessionExpired && this.session) {
      this.session = null;
      this.onSessionExpired(error);
    }
    return error;
  }

  /** An async API: submit it (202 + location), then poll the job URL until it has a result. */
  async callAsync(method, path, body, { signal, timeoutMs = ASYNC_TIMEOUT_MS } = {}) {
    const accepted = await this.request(method, path, { body, signal });
    if (accepted.httpStatus !== 202) return accepted;
    // The location names the host the request used; keep only its path, so it is this origin whatever proxy.
    const jobPath = new URL(accepted.location, location.href).pathname;
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const reply = await this.request("GET", jobPath, { signal });
      if (reply.httpStatus !== 202) return reply;
      if (Date.now() > deadline) throw new ApiError(0, "SYS.1001", "timeout", `no result after ${timeoutMs / 1000} s`);
      await sleep(ASYNC_POLL_MS, signal);
    }
  }

  // -- the calls the dashboard makes --------------------------------------------------------------------------

  /** The caller's running API jobs, each with its newest progress (not in ZStack). */
  async runningApis({ signal } = {}) {
    return (await this.request("GET", "/task-progresses", { signal })).inventories ?? [];
  }

  /** GetTaskProgress: `{inventories, summary}`, the whole tree with `all`. */
  async taskProgress(apiId, { all = true, signal } = {}) {
    const path = `/task-progresses/${encodeURIComponent(apiId)}${all ? "?all=true" : ""}`;
    return this.request("GET", path, { signal });
  }

  /** The progress event stream of an API, resumed after `lastEventId`: the raw fetch Response. */
  async progressEvents(apiId, { lastEventId = null, signal } = {}) {
    const headers = { Accept: "text/event-stream" };
    if (lastEventId) headers["Last-Event-ID"] = lastEventId;
    return this.request("GET", `/task-progresses/${encodeURIComponent(apiId)}/events`, { headers, signal, raw: true });
  }

  async longJobs({ signal, limit = 50 } = {}) {
    return (await this.request("GET", `/longjobs?limit=${limit}&sort=-createDate`, { signal })).inventories ?? [];
  }

  /** One long job's inventory, or null when this session cannot see it. */
  async longJob(uuid, { signal } = {}) {
    const reply = await this.request("GET", `/longjobs/${encodeURIComponent(uuid)}`, { signal });
    return (reply.inventories ?? [])[0] ?? reply.inventory ?? null;
  }

  async cancelLongJob(uuid, { signal } = {}) {
    return this.callAsync("PUT", `/longjobs/${encodeURIComponent(uuid)}/actions`, { cancelLongJob: {} }, { signal });
  }
}
