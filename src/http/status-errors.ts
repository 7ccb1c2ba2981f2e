import { BitbucketAuthError, type BitbucketAuthErrorCode } from "../errors/errors.js";

/** Which Bitbucket endpoint a call went to; it decides how an HTTP error is read. */
export type Endpoint = "token" | "refresh" | "user" | "emails" | "api";

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
export function isScopeError(body: string): boolean {
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
