import type { TokenAnswer } from "../edition.js";
import { postTokenForm } from "../../http/token-form.js";
import type { Deadline } from "../../http/upstream.js";

const TOKEN_URL = "https://bitbucket.org/site/oauth2/access_token";

/** The consumer's credentials, as Bitbucket Cloud's token endpoint takes them: HTTP Basic. */
export const basicAuthorization = (clientId: string, clientSecret: string) =>
  `Basic ${Buffer.from(`${clientId}:${clientSecret}`).toString("base64")}`;

/**
 * `POST https://bitbucket.org/site/oauth2/access_token` (form body, Basic client auth) under the
 * deadline, through the one fetch of `http/`: no redirect is followed, and a stalled body
 * (success or error) is cut off at the deadline, socket and all.
 * @throws BitbucketAuthError mapped from the answer, or `BITBUCKET_UNAVAILABLE` when it lacks a token.
 */
export function postTokenEndpoint(
  endpoint: "token" | "refresh",
  authorization: string,
  form: Readonly<Record<string, string>>,
  deadline: Deadline,
): Promise<TokenAnswer> {
  // Cloud's access tokens last two hours when the answer does not say.
  return postTokenForm(endpoint, TOKEN_URL, authorization, form, deadline, 7200);
}
