import type { Auth } from "lucia";
import { providerUserAuth } from "@lucia-auth/oauth";
import type { BitbucketTokens, BitbucketUser } from "@lucia-auth/oauth/providers";
import type { BitbucketProviderUserAuth } from "../edition.js";
import { API_ORIGIN, bearerHeaders } from "./bitbucket-api.js";
import { BitbucketAuthError } from "../../errors/errors.js";
import { basicAuthorization, postTokenEndpoint } from "./token-endpoint.js";
import { fetchJson, type Deadline } from "../../http/upstream.js";
import { cloudApiError } from "./api-errors.js";

const USER_URL = `${API_ORIGIN}/2.0/user`;

/**
 * The callback's code exchange and `/2.0/user`: the same requests as the `bitbucket()` provider's
 * `validateCallback` (form body with `code`, `client_id`, `grant_type` and `redirect_uri`, Basic
 * client auth, then a Bearer `GET /2.0/user`), and the same `BitbucketUserAuth` keyed on provider
 * id `bitbucket` and the user's `uuid`, built with `@lucia-auth/oauth`'s own `providerUserAuth`.
 * They are two steps, so that the login can ask `/2.0/user` beside the gate and the email, which
 * need only the access token.
 *
 * Why not the provider's own method: it fetches with no signal and follows redirects, so a stalled
 * or trickling answer would keep its socket open long after the deadline, and
 * a 307 could send the code elsewhere. Here every request runs under the callback's deadline.
 */
export function createCodeExchange<_Auth extends Auth>(
  auth: _Auth,
  { clientId, clientSecret, redirectUri }: { clientId: string; clientSecret: string; redirectUri: string },
) {
  const authorization = basicAuthorization(clientId, clientSecret);
  return {
    /** The code for tokens at the token endpoint. */
    tokens: async (code: string, deadline: Deadline): Promise<BitbucketTokens> => {
      const form = { code, client_id: clientId, grant_type: "authorization_code", redirect_uri: redirectUri };
      const { accessToken, accessTokenExpiresIn, refreshToken } = await postTokenEndpoint(
        "token",
        authorization,
        form,
        deadline,
      );
      return { accessToken, accessTokenExpiresIn, refreshToken };
    },
    /** Who the tokens belong to (`/2.0/user`), in the shape of the provider's `BitbucketUserAuth`. */
    identify: async (
      tokens: BitbucketTokens,
      deadline: Deadline,
    ): Promise<BitbucketProviderUserAuth<_Auth, BitbucketUser>> => {
      const user = (await fetchJson(
        "user",
        USER_URL,
        { headers: bearerHeaders(tokens.accessToken) },
        deadline,
        cloudApiError,
      )) as Partial<BitbucketUser> | null;
      if (typeof user?.uuid !== "string" || user.uuid.length === 0) {
        throw new BitbucketAuthError("BITBUCKET_USER_INVALID");
      }
      return Object.assign(providerUserAuth(auth, "bitbucket", user.uuid), {
        bitbucketUser: user as BitbucketUser,
        bitbucketTokens: tokens,
      });
    },
  };
}
