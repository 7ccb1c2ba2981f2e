import { BitbucketAuthError } from "../errors/errors.js";
import type { BitbucketTokens } from "@lucia-auth/oauth/providers";
import { tokenEndpointError } from "./status-errors.js";
import { fetchJson, type Deadline } from "./upstream.js";

const FORM_TYPE = "application/x-www-form-urlencoded";
// Bitbucket answers JSON whatever Accept says; the header states what we read.
// Stryker disable next-line StringLiteral: equivalent against Bitbucket, see above.
const JSON_TYPE = "application/json";

/** A token answer once checked: both tokens, their lifetime, and the granted scopes. */
export interface TokenAnswer extends BitbucketTokens {
  readonly scopes: readonly string[];
}

/**
 * `POST <url>` with a form body to an OAuth token endpoint (with `authorization` as the
 * `Authorization` header when not `null`), under the deadline, and the answer
 * checked: both tokens present, the lifetime (`fallbackExpiresIn` seconds when absent), and the
 * granted scopes from `scope` (or the older `scopes`).
 * @throws BitbucketAuthError mapped from the answer, or `BITBUCKET_UNAVAILABLE` when it lacks a token.
 */
export async function postTokenForm(
  endpoint: "token" | "refresh",
  url: string,
  authorization: string | null,
  form: Readonly<Record<string, string>>,
  deadline: Deadline,
  fallbackExpiresIn: number,
): Promise<TokenAnswer> {
  // Written out, not spread from the caller's headers: a spread of objects of several shapes takes
  // V8's slow path, and this runs on every login.
  const headers: Readonly<Record<string, string>> =
    authorization === null
      ? { "Content-Type": FORM_TYPE, Accept: JSON_TYPE }
      : { Authorization: authorization, "Content-Type": FORM_TYPE, Accept: JSON_TYPE };
  const body = await fetchJson(
    endpoint,
    url,
    { method: "POST", headers, body: new URLSearchParams(form).toString() },
    deadline,
    tokenEndpointError,
  );
  const tokens = (body ?? {}) as Record<string, unknown>;
  if (typeof tokens.access_token !== "string" || typeof tokens.refresh_token !== "string") {
    throw new BitbucketAuthError("BITBUCKET_UNAVAILABLE", "Bitbucket's token answer lacks the tokens.");
  }
  const scope =
    typeof tokens.scope === "string" ? tokens.scope : typeof tokens.scopes === "string" ? tokens.scopes : "";
  return {
    accessToken: tokens.access_token,
    accessTokenExpiresIn: typeof tokens.expires_in === "number" ? tokens.expires_in : fallbackExpiresIn,
    refreshToken: tokens.refresh_token,
    // Stryker disable next-line Regex: /\s/ leaves empty strings between runs of spaces, which filter drops.
    scopes: scope.split(/\s+/).filter(Boolean),
  };
}
