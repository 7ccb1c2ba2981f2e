import { BitbucketAuthError } from "./errors.js";
import { fetchJson } from "./upstream.js";

const TOKEN_URL = "https://bitbucket.org/site/oauth2/access_token";

/** Input of {@link refreshBitbucketTokens}. */
export interface RefreshBitbucketTokensOptions {
  readonly clientId: string;
  readonly clientSecret: string;
  /** The refresh token stored from the last exchange or refresh. */
  readonly refreshToken: string;
  /** Deadline in milliseconds. Default `10_000`. */
  readonly timeout?: number;
}

/** New tokens. Store `refreshToken`: Bitbucket rotates it, and the old one no longer works. */
export interface RefreshedBitbucketTokens {
  readonly accessToken: string;
  /** Seconds; Bitbucket's access tokens last 7200. */
  readonly accessTokenExpiresIn: number;
  readonly refreshToken: string;
  /** Granted scopes, from `scope` or the older `scopes` field. */
  readonly scopes: readonly string[];
}

/**
 * Exchanges a refresh token for new tokens (HTTP Basic client auth, form body, under a timeout).
 *
 * @throws BitbucketAuthError `REFRESH_TOKEN_INVALID` when Bitbucket refuses the refresh token,
 * `CLIENT_CREDENTIALS_REJECTED`, `BITBUCKET_UNAVAILABLE`, `BITBUCKET_RATE_LIMITED` or `BITBUCKET_TIMEOUT`.
 * @example
 * const fresh = await refreshBitbucketTokens({ clientId, clientSecret, refreshToken: stored.refreshToken });
 * await tokens.save(userId, fresh); // the old refresh token is now spent
 */
export async function refreshBitbucketTokens(
  options: RefreshBitbucketTokensOptions,
): Promise<RefreshedBitbucketTokens> {
  const { clientId, clientSecret, refreshToken, timeout = 10_000 } = options;
  for (const [name, value] of Object.entries({ clientId, clientSecret, refreshToken })) {
    if (typeof value !== "string" || value === "")
      throw new TypeError(`refreshBitbucketTokens: "${name}" is required.`);
  }
  const body = await fetchJson(
    "refresh",
    TOKEN_URL,
    {
      method: "POST",
      headers: {
        Authorization: `Basic ${Buffer.from(`${clientId}:${clientSecret}`).toString("base64")}`,
        "Content-Type": "application/x-www-form-urlencoded",
        Accept: "application/json",
      },
      body: new URLSearchParams({ grant_type: "refresh_token", refresh_token: refreshToken }).toString(),
    },
    timeout,
  );
  const tokens = (body ?? {}) as Record<string, unknown>;
  if (typeof tokens.access_token !== "string" || typeof tokens.refresh_token !== "string") {
    throw new BitbucketAuthError("BITBUCKET_UNAVAILABLE", "Bitbucket's refresh answer lacks the new tokens.");
  }
  const scope =
    typeof tokens.scope === "string" ? tokens.scope : typeof tokens.scopes === "string" ? tokens.scopes : "";
  return {
    accessToken: tokens.access_token,
    accessTokenExpiresIn: typeof tokens.expires_in === "number" ? tokens.expires_in : 7200,
    refreshToken: tokens.refresh_token,
    scopes: scope.split(/\s+/).filter(Boolean),
  };
}
