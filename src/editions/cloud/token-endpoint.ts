import type { TokenAnswer } from "../edition.js";
import { BitbucketAuthError } from "../../errors/errors.js";
import { fetchJson, type Deadline } from "../../upstream/upstream.js";

const TOKEN_URL = "https://bitbucket.org/site/oauth2/access_token";

/** The consumer's credentials, as Bitbucket Cloud's token endpoint takes them: HTTP Basic. */
export const basicAuthorization = (clientId: string, clientSecret: string) =>
  `Basic ${Buffer.from(`${clientId}:${clientSecret}`).toString("base64")}`;

/**
 * `POST https://bitbucket.org/site/oauth2/access_token` (form body, Basic client auth) under the
 * deadline, through the one fetch of `upstream.ts`: no redirect is followed, and a stalled body
 * (success or error) is cut off at the deadline, socket and all.
 * @throws BitbucketAuthError mapped from the answer, or `BITBUCKET_UNAVAILABLE` when it lacks a token.
 */
export async function postTokenEndpoint(
  endpoint: "token" | "refresh",
  authorization: string,
  form: Readonly<Record<string, string>>,
  deadline: Deadline,
): Promise<TokenAnswer> {
  const body = await fetchJson(
    endpoint,
    TOKEN_URL,
    {
      method: "POST",
      headers: {
        Authorization: authorization,
        "Content-Type": "application/x-www-form-urlencoded",
        // Bitbucket answers JSON whatever Accept says; the header states what we read.
        // Stryker disable next-line StringLiteral: equivalent against Bitbucket, see above.
        Accept: "application/json",
      },
      body: new URLSearchParams(form).toString(),
    },
    deadline,
  );
  const tokens = (body ?? {}) as Record<string, unknown>;
  if (typeof tokens.access_token !== "string" || typeof tokens.refresh_token !== "string") {
    throw new BitbucketAuthError("BITBUCKET_UNAVAILABLE", "Bitbucket's token answer lacks the tokens.");
  }
  const scope =
    typeof tokens.scope === "string" ? tokens.scope : typeof tokens.scopes === "string" ? tokens.scopes : "";
  return {
    accessToken: tokens.access_token,
    accessTokenExpiresIn: typeof tokens.expires_in === "number" ? tokens.expires_in : 7200,
    refreshToken: tokens.refresh_token,
    // Stryker disable next-line Regex: /\s/ leaves empty strings between runs of spaces, which filter drops.
    scopes: scope.split(/\s+/).filter(Boolean),
  };
}
