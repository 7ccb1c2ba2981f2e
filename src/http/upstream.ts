import { BitbucketAuthError } from "../errors/errors.js";
import type { Deadline } from "./deadline.js";
import { readBody, timeoutError } from "./read-body.js";
import { fromHttpError, isScopeError, type Endpoint } from "./status-errors.js";

export { MAX_BODY_BYTES, readBody, timeoutError } from "./read-body.js";
export { createDeadline, type Deadline } from "./deadline.js";
export { fromHttpError, type Endpoint } from "./status-errors.js";

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
