import { BitbucketAuthError, type BitbucketAuthErrorCode } from "../errors/errors.js";
import { readBody, timeoutError } from "./read-body.js";

export { MAX_BODY_BYTES, readBody, timeoutError } from "./read-body.js";

/** Which Bitbucket endpoint a call went to; it decides how an HTTP error is read. */
export type Endpoint = "token" | "refresh" | "user" | "emails" | "api";

/**
 * One deadline for every Bitbucket call of one callback (or one re-check): the code
 * exchange, the gate, the email fetch and reading any error body all end by it, so a callback always
 * answers within about `timeout`. Its one timer and signal are made at the first request or race,
 * `race` listens to that same signal rather than starting a timer of its own, and `end()` clears
 * the timer when the work is over. The callback, the guard's check, `checkBitbucketAccess` and
 * `refreshBitbucketTokens` each make one and end it in a `finally`.
 *
 * Why not `AbortSignal.timeout`: its timer cannot be cleared, so every login left a timer, a weak
 * reference and a finalizer behind for the whole `timeout` (10 s by default), which the profile
 * showed as garbage-collection work on every login.
 */
export interface Deadline {
  readonly ms: number;
  readonly signal: AbortSignal;
  /** Settles with `call`, or rejects with `BITBUCKET_TIMEOUT` when the deadline passes first. */
  race<T>(call: Promise<T>): Promise<T>;
  /**
   * The work is over: the timer is cleared, and a call still under the deadline is aborted, so
   * nothing of a callback outlives it. Safe to call more than once.
   */
  end(): void;
}

// The reason a deadline ended early gives its late calls: one shared object, since making an
// error (and its stack) on every login would cost more than the rest of end() together.
// Stryker disable next-line StringLiteral: equivalent; no answer or log shows it (an aborted call is BITBUCKET_TIMEOUT).
const ENDED = Object.freeze(new Error("The work under this deadline is over."));

export function createDeadline(ms: number): Deadline {
  return new CallDeadline(ms);
}

// A class rather than an object of closures: a deadline is made on every callback and re-check,
// and its methods then live once on the prototype instead of being made again each time.
class CallDeadline implements Deadline {
  readonly ms: number;
  private readonly expiresAt: number;
  private controller: AbortController | undefined;
  private timer: ReturnType<typeof setTimeout> | undefined;

  constructor(ms: number) {
    this.ms = ms;
    this.expiresAt = Date.now() + ms;
  }

  get signal(): AbortSignal {
    if (this.controller) return this.controller.signal;
    const made = (this.controller = new AbortController());
    // Not unref'd: it lives only while its calls do (every user of a deadline ends it in a
    // `finally`), and a live timer is what tests can see.
    this.timer = setTimeout(() => made.abort(), Math.max(this.expiresAt - Date.now(), 1));
    return made.signal;
  }

  // For work that takes no signal (a hook's own call, say): a late answer is dropped here, and
  // nothing is written until the race is won.
  race<T>(call: Promise<T>): Promise<T> {
    const on = this.signal;
    const ms = this.ms;
    return new Promise<T>((resolve, reject) => {
      const abort = () => reject(timeoutError(ms));
      if (on.aborted) abort();
      else on.addEventListener("abort", abort);
      const settle = () => on.removeEventListener("abort", abort);
      // Observed even when the race is already lost, so a late rejection is never unhandled.
      call.then(
        (value) => (settle(), resolve(value)),
        (err: unknown) => (settle(), reject(err)),
      );
    });
  }

  end(): void {
    clearTimeout(this.timer);
    // Made here when nothing used it yet, so that a use after the end finds it aborted too.
    (this.controller ??= new AbortController()).abort(ENDED);
  }
}

/** Maps a non-2xx answer onto a code. Only Bitbucket's short `error` field is kept, never a token. */
export function fromHttpError(endpoint: Endpoint, status: number, body: string): BitbucketAuthError {
  const parsed = parseJson(body);
  const oauthError = typeof parsed?.error === "string" ? parsed.error.replace(/[^a-z_]/g, "") : "";
  const cause = new Error(
    `Bitbucket's ${endpoint} endpoint answered HTTP ${status}${oauthError ? ` (${oauthError})` : ""}`,
  );
  const fail = (code: BitbucketAuthErrorCode, message?: string) =>
    new BitbucketAuthError(code, message, { cause });

  if (status === 429) return fail("BITBUCKET_RATE_LIMITED");
  if (status >= 500) return fail("BITBUCKET_UNAVAILABLE", `Bitbucket answered HTTP ${status}.`);
  if (endpoint === "token" || endpoint === "refresh") {
    if (status === 401 || oauthError === "unauthorized_client" || oauthError === "invalid_client") {
      return fail("CLIENT_CREDENTIALS_REJECTED");
    }
    return fail(endpoint === "token" ? "TOKEN_EXCHANGE_FAILED" : "REFRESH_TOKEN_INVALID");
  }
  if (status === 403) {
    const required = requiredScopes(parsed) ?? (endpoint === "emails" ? ["email"] : ["account"]);
    const labels = required.map(
      (s) => `'${s}'${Object.hasOwn(PERMISSION_LABELS, s) ? ` (${PERMISSION_LABELS[s]})` : ""}`,
    );
    return fail(
      "SCOPE_MISSING",
      `Bitbucket refused: the OAuth consumer lacks the ${labels.join(", ")} permission. ` +
        `Enable it in the consumer's settings in Bitbucket (Workspace settings → OAuth consumers → Permissions).`,
    );
  }
  if (status === 401) return fail("BITBUCKET_TOKEN_REJECTED");
  return fail("BITBUCKET_UNAVAILABLE", `Bitbucket answered HTTP ${status}.`);
}

/**
 * Maps anything a Bitbucket call threw: the provider's `OAuthRequestError`, fetch's network
 * `TypeError`, a JSON `SyntaxError`, or our own errors (kept as they are).
 */
export async function fromThrown(
  err: unknown,
  fallback: Endpoint,
  deadline?: Deadline,
): Promise<BitbucketAuthError> {
  if (err instanceof BitbucketAuthError) return err;
  const failed = oauthRequestFailure(err);
  if (failed) {
    const { request, response } = failed;
    const endpoint = endpointOf(request?.url ?? response.url) ?? fallback;
    // An error body can stall as well: it is read under the same deadline, and cancelled at it.
    const body = await readBody(response, deadline, true);
    return fromHttpError(endpoint, response.status, body);
  }
  // Matched by name: the error may come from another realm (undici, or a test sandbox).
  if ((err as { name?: unknown } | undefined)?.name === "SyntaxError") {
    return new BitbucketAuthError(
      "BITBUCKET_UNAVAILABLE",
      "Bitbucket answered with a body that is not JSON.",
      {
        cause: new Error(`Bitbucket's ${fallback} endpoint sent invalid JSON`),
      },
    );
  }
  const reason = (err as { cause?: { code?: unknown } } | undefined)?.cause?.code;
  return new BitbucketAuthError("BITBUCKET_UNAVAILABLE", "Bitbucket could not be reached.", {
    cause: new Error(
      `Request to Bitbucket's ${fallback} endpoint failed${reason ? `: ${String(reason)}` : ""}`,
    ),
  });
}

/** What a Bitbucket request may carry besides its URL. */
export interface BitbucketRequestInit {
  readonly method?: string;
  readonly headers?: Readonly<Record<string, string>>;
  readonly body?: string;
}

/**
 * The one fetch of every Bitbucket call (Cloud and Data Center): never a redirect, and under the
 * deadline throughout, its signal until the answer's head and `readBody` for the body. Gives the
 * answer and its whole body as text; what fetch or the read throws is for the caller to map
 * (`thrownUnder`).
 */
export async function fetchText(
  url: string,
  init: BitbucketRequestInit,
  deadline: Deadline,
): Promise<{ readonly response: Response; readonly body: string }> {
  // Never a redirect: a 3xx from Bitbucket would carry the code, a token or the client
  // credentials to wherever it points. fetch then throws, and that reads as an outage.
  // The init is built here field by field rather than spread: it is made twice on every login.
  const response = await fetch(url, {
    method: init.method,
    headers: init.headers,
    body: init.body,
    redirect: "error",
    signal: deadline.signal,
  });
  return { response, body: await readBody(response, deadline, false) };
}

/**
 * What a call under `deadline` threw, as one coded error: once the deadline has passed, anything but
 * our own error is its `BITBUCKET_TIMEOUT`; otherwise `fromThrown` maps it.
 */
export function thrownUnder(
  err: unknown,
  endpoint: Endpoint,
  deadline: Deadline,
): Promise<BitbucketAuthError> {
  if (deadline.signal.aborted && !(err instanceof BitbucketAuthError))
    return Promise.resolve(timeoutError(deadline.ms));
  return fromThrown(err, endpoint, deadline);
}

/**
 * Fetches JSON from Bitbucket for our own calls (the code exchange, `/2.0/user`, the gate, emails,
 * refresh), through `fetchText`, with the same error mapping. With `noAccessAsNull`, a 404 or a 403
 * that is not about the consumer's permissions resolves as `null`: Bitbucket's definite "no" (fail
 * closed), as opposed to an outage.
 */
export async function fetchJson(
  endpoint: Endpoint,
  url: string,
  init: BitbucketRequestInit,
  deadline: Deadline,
  noAccessAsNull = false,
): Promise<unknown> {
  try {
    const { response, body } = await fetchText(url, init, deadline);
    // Not JSON throws a SyntaxError, mapped below.
    if (response.ok) return JSON.parse(body) as unknown;
    if (noAccessAsNull && (response.status === 404 || (response.status === 403 && !isScopeError(body))))
      return null;
    throw fromHttpError(endpoint, response.status, body);
  } catch (err) {
    throw await thrownUnder(err, endpoint, deadline);
  }
}

// The provider's error class is matched by shape: a copy of @lucia-auth/oauth loaded twice must still match.
function oauthRequestFailure(err: unknown): { request?: Request; response: Response } | undefined {
  const candidate = err as { message?: unknown; request?: Request; response?: unknown } | undefined;
  if (
    candidate?.message === "OAUTH_REQUEST_FAILED" &&
    typeof candidate.response === "object" &&
    candidate.response !== null
  ) {
    return { request: candidate.request, response: candidate.response as Response };
  }
  return undefined;
}

function endpointOf(url: string): Endpoint | undefined {
  if (url.includes("/site/oauth2/access_token")) return "token";
  if (url.includes("/2.0/user/emails")) return "emails";
  if (url.includes("/2.0/user")) return "user";
  return undefined;
}

// Only fields are read from the result (with `?.`), and null or a primitive has none.
function parseJson(body: string): Record<string, unknown> | null | undefined {
  let value: unknown;
  try {
    value = JSON.parse(body);
  } catch {
    // Not JSON: no fields.
  }
  return value as Record<string, unknown> | null | undefined;
}

/** True when a 403's body is Bitbucket's "your credentials lack … privilege scopes" envelope. */
function isScopeError(body: string): boolean {
  return requiredScopes(parseJson(body)) !== undefined;
}

// Bitbucket's scope names, as its consumer settings page labels them.
const PERMISSION_LABELS: Readonly<Record<string, string>> = {
  account: "Account: Read",
  email: "Account: Email",
  repository: "Repositories: Read",
};

function requiredScopes(parsed: Record<string, unknown> | null | undefined): string[] | undefined {
  const error = parsed?.error as { detail?: { required?: unknown } } | undefined;
  const required = error?.detail?.required;
  return Array.isArray(required) && required.every((s) => typeof s === "string" && /^[a-z:_]+$/.test(s))
    ? (required as string[])
    : undefined;
}
