// The token and the read API. The token lives in sessionStorage only: never in a URL, never logged.

const TOKEN_KEY = "incident.token";
const RETRIES_WHILE_BEHIND = 5; // 503: the boards have not reached `after` yet

export class AuthError extends Error {
  constructor(status) {
    super(status === 401 ? "unauthorised" : "forbidden");
    this.status = status;
  }
}

export const token = () => sessionStorage.getItem(TOKEN_KEY);
export const saveToken = (value) => sessionStorage.setItem(TOKEN_KEY, value);
export const forgetToken = () => sessionStorage.removeItem(TOKEN_KEY);

/**
 * A refusal (a read's or a command's), with the API's error body `{code, message, field}` for the page
 * to explain: `message` and `detail` are the server's words, `code` and `field` name what was wrong.
 */
export class ApiError extends Error {
  constructor(status, error = {}, path = "") {
    super(error.message || `${path ? `${path}: ` : ""}HTTP ${status}`);
    this.status = status;
    this.code = error.code || "http_error";
    this.field = error.field || null;
    this.detail = error.message || null;
  }
}

/** The boards are stuck before the position asked for: waiting will not help (the server says why). */
export class BoardsStaleError extends Error {}

const STALE_SINCE_HEADER = "X-Boards-Stale-Since";

const pause = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

function url(path, params) {
  const query = new URLSearchParams();
  for (const [name, value] of Object.entries(params || {})) {
    if (value !== undefined && value !== null && value !== "") query.set(name, String(value));
  }
  const text = query.toString();
  return text ? `${path}?${text}` : path;
}

/** GET a JSON resource; throws AuthError on 401/403 so the caller can return to sign-in. */
export async function get(path, params) {
  for (let attempt = 0; ; attempt += 1) {
    const response = await fetch(url(path, params), {
      headers: { Authorization: `Bearer ${token()}`, Accept: "application/json" },
      cache: "no-store",
    });
    if (response.status === 401 || response.status === 403) throw new AuthError(response.status);
    if (response.status === 503 && response.headers.get(STALE_SINCE_HEADER)) {
      const body = await response.json().catch(() => ({}));
      throw new BoardsStaleError(body.error?.message ?? `${path}: the boards are stale`);
    }
    if (response.status === 503 && attempt < RETRIES_WHILE_BEHIND) {
      await pause(300 * (attempt + 1));
      continue;
    }
    if (!response.ok) throw new ApiError(response.status, (await response.json().catch(() => null))?.error || {}, path);
    return response.json();
  }
}


/**
 * POST a command on the version the person saw (`If-Match`), under an idempotency key: a retry after a
 * lost answer with the same key is answered with the first result, and records nothing twice.
 */
export async function send(path, body, version, key) {
  const response = await fetch(path, {
    method: "POST",
    headers: {
      Authorization: `Bearer ${token()}`,
      Accept: "application/json",
      "Content-Type": "application/json",
      "If-Match": `"${version}"`,
      "Idempotency-Key": key,
    },
    body: JSON.stringify(body),
    cache: "no-store",
  });
  const answer = await response.json().catch(() => ({}));
  if (response.status === 401) throw new AuthError(401);
  if (!response.ok) throw new ApiError(response.status, answer.error || {});
  return answer;
}
