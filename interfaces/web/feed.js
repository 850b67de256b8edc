// The live feed: one WebSocket, resumed from the last position seen after any drop, with backoff.

const BACKOFF_SECONDS = [0.5, 1, 2, 4, 8, 15];
const OFFLINE_AFTER_ATTEMPTS = 3; // a few quick retries are "reconnecting"; longer is "offline"
const SILENCE_LIMIT_MS = 20000; // the server sends a heartbeat after 5 s of quiet: 20 s means a dead link
// The feed's close codes are listed in interfaces/feed/close_codes.py.
const BAD_TOKEN = new Set([4401, 4403]); // unknown or revoked token, or outside its scope: sign in again
const RESUME = 4001; // the server cut us loose for falling behind: resume at once
const TOO_MANY_FEEDS = 4429; // this token has as many feeds open as it may: retrying cannot help
const SERVER_FULL = 4503; // the server serves as many feeds as it can: come back later, not at once
const SERVER_FULL_RETRY_MS = 60000;

export class LiveFeed {
  /**
   * handlers: onEvent(message), onHeartbeat(message), onStatus({state, retryAt}),
   * onOpen({resumed, after}), onAuthFailed(code, reason)
   * States: connecting, live, reconnecting, retrying, offline; "refused" (too many feeds on this
   * token: no retry until retryNow()) and "busy" (the server is full: one retry a minute later).
   */
  constructor(token, handlers) {
    this.token = token;
    this.handlers = handlers;
    this.position = 0;
    this.socket = null;
    this.failures = 0;
    this.everOpened = false;
    this.stopped = false;
    this.retryTimer = null;
    this.silenceTimer = null;
    this.onOnline = () => this.retryNow();
    this.onOffline = () => this.drop();
  }

  start(after) {
    this.position = after;
    window.addEventListener("online", this.onOnline);
    window.addEventListener("offline", this.onOffline);
    this.connect();
  }

  stop() {
    this.stopped = true;
    window.removeEventListener("online", this.onOnline);
    window.removeEventListener("offline", this.onOffline);
    clearTimeout(this.retryTimer);
    clearTimeout(this.silenceTimer);
    if (this.socket) this.socket.close(1000, "signed out");
    this.socket = null;
  }

  connect() {
    this.retryTimer = null;
    const scheme = location.protocol === "https:" ? "wss" : "ws";
    const address = `${scheme}://${location.host}/api/v1/feed?after=${this.position}`;
    this.status(this.everOpened ? "retrying" : "connecting");
    let socket;
    try {
      // The browser cannot set headers on a WebSocket: the token travels as a subprotocol.
      socket = new WebSocket(address, ["incident.v1", `bearer.${this.token}`]);
    } catch {
      this.handlers.onAuthFailed(4401); // a token no subprotocol can carry is no token of ours
      return;
    }
    this.socket = socket;
    const resumedFrom = this.position;
    socket.onopen = () => this.opened(socket, resumedFrom);
    socket.onmessage = (message) => this.received(socket, message);
    socket.onclose = (closing) => this.closed(socket, closing.code, closing.reason);
  }

  opened(socket, after) {
    if (socket !== this.socket) return;
    const resumed = this.everOpened;
    this.everOpened = true;
    this.failures = 0;
    this.watchSilence();
    this.status("live");
    this.handlers.onOpen({ resumed, after });
  }

  received(socket, message) {
    if (socket !== this.socket) return;
    this.watchSilence();
    const data = JSON.parse(message.data);
    if (data.kind === "heartbeat") {
      this.position = Math.max(this.position, data.position);
      this.handlers.onHeartbeat(data);
    } else if (data.kind === "event" && data.position > this.position) {
      this.position = data.position; // the resume point: everything up to here was handled
      this.handlers.onEvent(data);
    }
  }

  closed(socket, code, reason = "") {
    if (socket !== this.socket || this.stopped) return;
    clearTimeout(this.silenceTimer);
    this.socket = null;
    if (BAD_TOKEN.has(code)) {
      this.handlers.onAuthFailed(code, reason);
    } else if (code === TOO_MANY_FEEDS) {
      this.status("refused"); // said on the page; the user reconnects once another tab is closed
    } else if (code === SERVER_FULL) {
      clearTimeout(this.retryTimer);
      const retryAt = Date.now() + SERVER_FULL_RETRY_MS * (1 + Math.random() * 0.2);
      this.retryTimer = setTimeout(() => this.connect(), retryAt - Date.now());
      this.status("busy", retryAt);
    } else {
      this.scheduleRetry(code === RESUME ? 0 : this.nextDelay());
    }
  }

  nextDelay() {
    const base = BACKOFF_SECONDS[Math.min(this.failures, BACKOFF_SECONDS.length - 1)];
    this.failures += 1;
    return base * 1000 * (1 + Math.random() * 0.2); // jitter: many boards must not retry in step
  }

  scheduleRetry(delay) {
    clearTimeout(this.retryTimer);
    const retryAt = Date.now() + delay;
    this.retryTimer = setTimeout(() => this.connect(), delay);
    const offline = !navigator.onLine || this.failures > OFFLINE_AFTER_ATTEMPTS;
    this.status(offline ? "offline" : "reconnecting", retryAt);
  }

  /** The network is back (or the user asked): do not wait out the backoff. */
  retryNow() {
    if (this.stopped || this.socket) return;
    clearTimeout(this.retryTimer);
    this.connect();
  }

  /** Treat the link as gone: a half-open socket can look alive for minutes. */
  drop() {
    if (!this.socket) return;
    const socket = this.socket;
    this.closed(socket, 1006);
    socket.close();
  }

  watchSilence() {
    clearTimeout(this.silenceTimer);
    this.silenceTimer = setTimeout(() => this.drop(), SILENCE_LIMIT_MS);
  }

  status(state, retryAt = null) {
    this.handlers.onStatus({ state, retryAt });
  }
}
