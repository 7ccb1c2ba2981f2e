import { BitbucketAuthError, type BitbucketAuthErrorCode } from "./errors.js";

/** Which Bitbucket endpoint a call went to; it decides how an HTTP error is read. */
export type Endpoint = "token" | "refresh" | "user" | "emails";

/**
 * Puts a deadline on a call that takes no signal (the provider's `fetch` has no injection point).
 * Its request may run on after the deadline; that is harmless because nothing is written until it
 * resolves, and a late answer is dropped here.
 */
export async function withDeadline<T>(ms: number, call: Promise<T>): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const deadline = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(timeoutError(ms)), ms);
  });
  try {
    return await Promise.race([call, deadline]);
  } finally {
    clearTimeout(timer);
  }
}

function timeoutError(ms: number): BitbucketAuthError {
  return new BitbucketAuthError("BITBUCKET_TIMEOUT", `Bitbucket did not answer within ${ms} ms.`);
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
    return fail(
      "SCOPE_MISSING",
      `Bitbucket refused: the OAuth consumer lacks the ${required.map((s) => `'${s}'`).join(", ")} permission. ` +
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
export async function fromThrown(err: unknown, fallback: Endpoint): Promise<BitbucketAuthError> {
  if (err instanceof BitbucketAuthError) return err;
  const failed = oauthRequestFailure(err);
  if (failed) {
    const { request, response } = failed;
    const endpoint = endpointOf(request?.url ?? response.url) ?? fallback;
    const body = await response.text().catch(() => "");
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

/** Fetches JSON from Bitbucket for our own calls (emails, refresh), with the same error mapping. */
export async function fetchJson(
  endpoint: Endpoint,
  url: string,
  init: RequestInit,
  timeoutMs: number,
): Promise<unknown> {
  try {
    // The signal also covers reading the body, so a stalled body times out too.
    const response = await fetch(url, { ...init, signal: AbortSignal.timeout(timeoutMs) });
    const body = await response.text();
    if (!response.ok) throw fromHttpError(endpoint, response.status, body);
    return JSON.parse(body) as unknown;
  } catch (err) {
    if ((err as { name?: unknown } | undefined)?.name === "TimeoutError") throw timeoutError(timeoutMs);
    throw await fromThrown(err, endpoint);
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

function parseJson(body: string): Record<string, unknown> | undefined {
  try {
    const value: unknown = JSON.parse(body);
    return value && typeof value === "object" ? (value as Record<string, unknown>) : undefined;
  } catch {
    return undefined;
  }
}

function requiredScopes(parsed: Record<string, unknown> | undefined): string[] | undefined {
  const error = parsed?.error as { detail?: { required?: unknown } } | undefined;
  const required = error?.detail?.required;
  return Array.isArray(required) && required.every((s) => typeof s === "string" && /^[a-z:_]+$/.test(s))
    ? (required as string[])
    : undefined;
}
