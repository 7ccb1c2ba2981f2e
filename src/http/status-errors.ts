import { BitbucketAuthError, type BitbucketAuthErrorCode } from "../errors/errors.js";

/**
 * Which endpoint a call went to, as its causes name it: "token" and "refresh" for the OAuth token
 * endpoint, and each edition's own labels for its API ("api", "user", "emails").
 */
export type Endpoint = string;

/** A non-2xx answer, as an edition's status mapping reads it. */
export interface HttpAnswer {
  readonly status: number;
  /** The whole body as text (only its short `error` field is ever kept). */
  readonly body: string;
  readonly headers: Headers;
}

/** One edition's reading of a non-2xx answer from one of its endpoints, as one coded error. */
export type StatusMapper = (endpoint: Endpoint, answer: HttpAnswer) => BitbucketAuthError;

/**
 * `Retry-After` in whole seconds, or `null`. Bitbucket sends delta-seconds; an HTTP date, a fraction
 * or anything else is not guessed at.
 */
export function retryAfterOf(headers: Headers): number | null {
  // Digits only: `Number("")` would read an empty header as "retry at once".
  const raw = headers.get("retry-after") ?? "";
  return /^\d{1,9}$/.test(raw) ? Number(raw) : null;
}

/**
 * The answers that mean Bitbucket could not serve the call, whatever the edition and endpoint:
 * a 429 (`BITBUCKET_RATE_LIMITED`, with its `Retry-After`) and a 5xx (`BITBUCKET_UNAVAILABLE`);
 * `null` for any other status.
 */
export function outageOf(answer: HttpAnswer, cause: () => Error): BitbucketAuthError | null {
  if (answer.status === 429)
    return new BitbucketAuthError("BITBUCKET_RATE_LIMITED", undefined, {
      cause: cause(),
      retryAfter: retryAfterOf(answer.headers),
    });
  if (answer.status >= 500)
    return new BitbucketAuthError("BITBUCKET_UNAVAILABLE", `Bitbucket answered HTTP ${answer.status}.`, {
      cause: cause(),
    });
  return null;
}

/** The short OAuth `error` field of a body, letters and underscores only, or "". */
export function oauthErrorOf(body: string): string {
  const parsed = parseJson(body);
  return typeof parsed?.error === "string" ? parsed.error.replace(/[^a-z_]/g, "") : "";
}

/** The cause every mapped answer carries: the endpoint, the status and the short error field. */
export function causeOf(endpoint: Endpoint, answer: HttpAnswer): Error {
  const oauthError = oauthErrorOf(answer.body);
  return new Error(
    `Bitbucket's ${endpoint} endpoint answered HTTP ${answer.status}${oauthError ? ` (${oauthError})` : ""}`,
  );
}

/**
 * An OAuth 2 token endpoint's refusal (RFC 6749 §5.2), the same on both editions: the client's
 * credentials (a 401, `invalid_client`, `unauthorized_client`), else the code at "token" and the
 * refresh token at "refresh". Outages first.
 */
export const tokenEndpointError: StatusMapper = (endpoint, answer) => {
  const cause = () => causeOf(endpoint, answer);
  const outage = outageOf(answer, cause);
  if (outage) return outage;
  const oauthError = oauthErrorOf(answer.body);
  const code: BitbucketAuthErrorCode =
    answer.status === 401 || oauthError === "unauthorized_client" || oauthError === "invalid_client"
      ? "CLIENT_CREDENTIALS_REJECTED"
      : endpoint === "token"
        ? "TOKEN_EXCHANGE_FAILED"
        : "REFRESH_TOKEN_INVALID";
  return new BitbucketAuthError(code, undefined, { cause: cause() });
};

// Only fields are read from the result (with `?.`), and null or a primitive has none.
export function parseJson(body: string): Record<string, unknown> | null | undefined {
  let value: unknown;
  try {
    value = JSON.parse(body);
  } catch {
    // Not JSON: no fields.
  }
  return value as Record<string, unknown> | null | undefined;
}
