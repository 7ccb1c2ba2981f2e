import type { Deadline } from "../http/upstream.js";
import type { TokenAnswer } from "../http/token-form.js";
import type { BitbucketAccess } from "./cloud/access.js";
import { resolveAllow } from "./cloud/allow.js";
import { createCloudClient } from "./cloud/cloud.js";
import type { BitbucketDataCenterAccess } from "./datacenter/access.js";
import { resolveDataCenterAllow } from "./datacenter/allow.js";
import { createDataCenterClient } from "./datacenter/datacenter.js";
import { resolveServerUrl } from "./datacenter/server-url.js";
import { grantOf, PROVIDER_ID, rulesFingerprint } from "./grant.js";

/** What a re-check after sign-in needs of either edition, resolved once. */
export interface Recheck {
  /** The `allow` rules asked with a stored access token; `null` when no rules were given. */
  readonly ask:
    | ((accessToken: string, deadline: Deadline) => Promise<BitbucketAccess | BitbucketDataCenterAccess>)
    | null;
  /** New tokens for a refresh token (Data Center rotates both). */
  refresh(refreshToken: string, deadline: Deadline): Promise<TokenAnswer>;
  /** The Lucia provider id of this Bitbucket's keys: `"bitbucket"` on Cloud. */
  readonly providerId: string;
  /** Which Bitbucket the stored tokens are for (see `grantOf`). */
  readonly grant: string;
  /** The rules' fingerprint, written beside `checkedAt` (of `null` without rules). */
  readonly rules: string;
}

/**
 * Picks the edition for `bitbucketAccessGuard`, `checkBitbucketAccess` and `refreshBitbucketTokens`:
 * Data Center when `serverUrl` is given, with its own rules, otherwise Cloud. The rules and the URL
 * are checked here, once, through `fail`.
 */
export function resolveRecheck(
  options: {
    readonly serverUrl?: unknown;
    readonly allow?: unknown;
    readonly redirectUri?: unknown;
    readonly providerId?: unknown;
  },
  credentials: { readonly clientId: string; readonly clientSecret: string },
  fail: (message: string) => never,
): Recheck {
  if (options.serverUrl === undefined) {
    if (options.providerId !== undefined)
      fail(`option "providerId" is for Bitbucket Data Center: set "serverUrl" to use it.`);
    const allow = options.allow === undefined ? null : resolveAllow(options.allow, fail);
    const client = createCloudClient(credentials);
    return {
      ask: allow ? (token, deadline) => client.checkAccess(allow, token, deadline) : null,
      refresh: client.refresh,
      providerId: "bitbucket",
      grant: grantOf({}),
      rules: rulesFingerprint(allow),
    };
  }
  const serverUrl = resolveServerUrl(options.serverUrl, fail);
  const providerId = options.providerId ?? "bitbucket-datacenter";
  if (typeof providerId !== "string" || !PROVIDER_ID.test(providerId) || providerId === "bitbucket")
    fail(`option "providerId" must be the Data Center router's providerId (letters, digits, "-" and "_").`);
  const allow = options.allow === undefined ? null : resolveDataCenterAllow(options.allow, fail);
  const redirectUri = typeof options.redirectUri === "string" ? options.redirectUri : undefined;
  const client = createDataCenterClient({ serverUrl, ...credentials, redirectUri });
  return {
    ask: allow ? (token, deadline) => client.checkAccess(allow, token, deadline) : null,
    refresh: client.refresh,
    providerId,
    grant: grantOf({ serverUrl, providerId }),
    rules: rulesFingerprint(allow),
  };
}
