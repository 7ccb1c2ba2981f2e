import { BitbucketAuthError } from "../errors/errors.js";
import type { Deadline } from "./deadline.js";
import { readBody, timeoutError } from "./read-body.js";
import type { Endpoint, StatusMapper } from "./status-errors.js";

export { MAX_BODY_BYTES, readBody, timeoutError } from "./read-body.js";
export { createDeadline, type Deadline } from "./deadline.js";
export {
  outageOf,
  retryAfterOf,
  tokenEndpointError,
  type Endpoint,
  type HttpAnswer,
  type StatusMapper,
} from "./status-errors.js";

/**
 * Maps anything a Bitbucket call threw: fetch's network `TypeError`, a JSON `SyntaxError`, or our
 * own errors (kept as they are).
 */
export function fromThrown(err: unknown, endpoint: Endpoint): BitbucketAuthError {
  if (err instanceof BitbucketAuthError) return err;
  // Matched by name: the error may come from another realm (undici, or a test sandbox).
  if ((err as { name?: unknown } | undefined)?.name === "SyntaxError") {
    return new BitbucketAuthError(
      "BITBUCKET_UNAVAILABLE",
      "Bitbucket answered with a body that is not JSON.",
      {
        cause: new Error(`Bitbucket's ${endpoint} endpoint sent invalid JSON`),
      },
    );
  }
  const reason = (err as { cause?: { code?: unknown } } | undefined)?.cause?.code;
  return new BitbucketAuthError("BITBUCKET_UNAVAILABLE", "Bitbucket could not be reached.", {
    cause: new Error(
      `Request to Bitbucket's ${endpoint} endpoint failed${reason ? `: ${String(reason)}` : ""}`,
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
  return { response, body: await readBody(response, deadline) };
}

/**
 * What a call under `deadline` threw, as one coded error: once the deadline has passed, anything but
 * our own error is its `BITBUCKET_TIMEOUT`; otherwise `fromThrown` maps it.
 */
export function thrownUnder(err: unknown, endpoint: Endpoint, deadline: Deadline): BitbucketAuthError {
  if (deadline.signal.aborted && !(err instanceof BitbucketAuthError)) return timeoutError(deadline.ms);
  return fromThrown(err, endpoint);
}

/**
 * Fetches JSON from Bitbucket for our own calls (the code exchange, `/2.0/user`, the gate, emails,
 * refresh), through `fetchText`. A non-2xx answer is mapped by the edition's `mapStatus`; one that
 * `noAccess` accepts resolves as `null` instead: Bitbucket's definite "no" (fail closed), as opposed
 * to an outage.
 */
export async function fetchJson(
  endpoint: Endpoint,
  url: string,
  init: BitbucketRequestInit,
  deadline: Deadline,
  mapStatus: StatusMapper,
  noAccess?: (status: number, body: string) => boolean,
): Promise<unknown> {
  try {
    const { response, body } = await fetchText(url, init, deadline);
    // Not JSON throws a SyntaxError, mapped below.
    if (response.ok) return JSON.parse(body) as unknown;
    if (noAccess?.(response.status, body)) return null;
    throw mapStatus(endpoint, { status: response.status, body, headers: response.headers });
  } catch (err) {
    throw thrownUnder(err, endpoint, deadline);
  }
}
