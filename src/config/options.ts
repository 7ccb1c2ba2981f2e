import type { Auth } from "lucia";
import type { BitbucketUser } from "@lucia-auth/oauth/providers";
import type { BitbucketAccess } from "../editions/cloud/access.js";
import type { BitbucketAllow } from "../editions/cloud/allow.js";
import type { BitbucketDataCenterAccess } from "../editions/datacenter/access.js";
import type { BitbucketDataCenterAllow } from "../editions/datacenter/allow.js";
import type { BitbucketDataCenterUser } from "../editions/datacenter/identity.js";
import type { BitbucketTokenStore } from "../tokens/token-store.js";
import type { BitbucketRouterHooks } from "./hooks.js";

/** What the router's options of both editions share (see {@link BitbucketRouterOptions}). */
export interface RouterOptionsCommon {
  /** The OAuth consumer's key. Required. */
  readonly clientId: string;
  /** The OAuth consumer's secret. Required; never logged nor put in an error. */
  readonly clientSecret: string;
  /**
   * The absolute callback URL registered on the consumer. Its path must end with `callbackPath`.
   * The state cookie is `Secure` when it is https.
   */
  readonly redirectUri: string;
  /** Path of the route that starts the login. Default `"/login/bitbucket"`. */
  readonly loginPath?: string;
  /** Path of the callback route. Default `"/login/bitbucket/callback"`. */
  readonly callbackPath?: string;
  /**
   * The path prefix a reverse proxy strips before Express sees a request: with
   * `location /app/ { proxy_pass http://app/; }`, the public `/app/login/bitbucket` reaches Express
   * as `/login/bitbucket`, so `publicPath: "/app"`. `redirectUri` is the public URL and starts with
   * it; the router is mounted as Express sees it. Every redirect to a path of the app
   * (`successRedirect`, `failureRedirect`, `logoutRedirect`, `?returnTo`) is sent under it, and the
   * state cookies' path starts with it. Default `""` (no prefix).
   * @example bitbucketRouter(auth, { ...options, redirectUri: "https://example.com/app/login/bitbucket/callback", publicPath: "/app" })
   */
  readonly publicPath?: string;
  /** Where a login lands when no safe `?returnTo` was given. Default `"/"`. */
  readonly successRedirect?: string;
  /**
   * Hosts that `?returnTo` may name as an absolute URL, so a login on `auth.example.com` can send
   * the browser back to `grafana.example.com`: exact lowercase names, `*.example.com` (any host
   * under it, not `example.com` itself), each with `:port` where it is not the default. https only,
   * but for `localhost`, `127.0.0.1` and `[::1]`. Any other absolute `returnTo` falls back to
   * `successRedirect`, as without this option. Default: none (paths of this site only).
   * WARNING: every host listed (every host under a wildcard) becomes a place a crafted login link
   * can send a signed-in browser: list only hosts you run.
   * @example returnToHosts: ["grafana.example.com", "*.tools.example.com", "localhost:3000"]
   */
  readonly returnToHosts?: readonly string[];
  /**
   * Where a failed login is sent, with `?error=CODE` appended. Default: none, so the error goes to
   * `next(err)` and the app's error handler decides.
   */
  readonly failureRedirect?: string;
  /**
   * Secret(s) to sign the state cookie, newest first. Default: those of the app's `cookieParser(secret)`.
   * One of the two must exist; the router never sets an unsigned state cookie.
   */
  readonly cookieSecret?: string | readonly string[];
  /**
   * Stem of the state cookies' names. Default `"bitbucket_oauth_state"`. Each login start sets its
   * own cookie, `<name>.<tag>` (at most 5 at once, so several tabs can log in), and on an https
   * `redirectUri` the name starts with `__Host-`, so a sibling subdomain cannot plant one.
   */
  readonly stateCookieName?: string;
  /**
   * Lifetime of the state cookie in milliseconds (Express units). Default `600_000` (10 minutes); from 1000 (1 second) to 3_600_000 (1 hour).
   * WARNING: a longer window keeps a started login (and its state) usable for longer.
   */
  readonly stateMaxAge?: number;
  /**
   * Deadline in milliseconds for all the Bitbucket calls of one callback together (code exchange,
   * `allow` checks, email), error bodies included; at least 1000. Default `10_000`.
   */
  readonly timeout?: number;
  /**
   * What a refusal by `allow` says to the person: `"detailed"` names the rule that failed (for
   * example "not a member of the workspace 'acme'"); `"generic"` says only that the account is not
   * allowed. The full reason is always in the error's `cause` and in `access.reason`, for your logs.
   * Default `"detailed"`.
   *
   * WARNING: `"detailed"` tells anyone who tries which workspaces and repositories the app requires.
   * Choose `"generic"` when those names are private.
   */
  readonly refusalMessage?: "detailed" | "generic";
  /**
   * Store the tokens of every login here, sealed, for `bitbucketAccessGuard` and your own API calls:
   * the router saves them right after the session is created, so no `onSuccess` is needed for it.
   * Default: not stored. See `sqliteTokenStore`, `postgresTokenStore` and `memoryTokenStore`.
   * @example tokens: sqliteTokenStore(db, { keys: [process.env.TOKEN_KEY!] })
   */
  readonly tokens?: BitbucketTokenStore;
  /**
   * Path of the `POST` route that links a Bitbucket account to the signed-in user. It needs a valid
   * Lucia session (else `LINK_REQUIRES_SESSION`), refuses cross-site requests, and the callback links
   * only under that same session (else `LINK_SESSION_MISMATCH`). An ordinary login never links.
   * `false` turns linking off. Default `"/login/bitbucket/link"`.
   */
  readonly linkPath?: string | false;
  /**
   * Mount `POST <logoutPath>`, which invalidates the Lucia session and clears its cookie.
   * Cross-site requests (by `Origin`) are refused. Default `false` (not mounted).
   */
  readonly logoutPath?: string | false;
  /** Where the logout route redirects. Default `"/"`. */
  readonly logoutRedirect?: string;
}

/**
 * Options of {@link bitbucketRouter}. Only `clientId`, `clientSecret` and `redirectUri` are required;
 * they are the configs of `bitbucket()` from `@lucia-auth/oauth/providers`. This is Bitbucket Cloud's
 * (no `serverUrl`); with `serverUrl`, see {@link BitbucketDataCenterRouterOptions}.
 *
 * @example
 * bitbucketRouter(auth, {
 *   clientId: process.env.BITBUCKET_CLIENT_ID!,
 *   clientSecret: process.env.BITBUCKET_CLIENT_SECRET!,
 *   redirectUri: "http://localhost:3000/login/bitbucket/callback",
 *   getUserAttributes: (bb) => ({ name: bb.display_name }),
 * });
 */
export interface BitbucketRouterOptions<_Auth extends Auth = Auth>
  extends RouterOptionsCommon, BitbucketRouterHooks<_Auth, BitbucketUser, BitbucketAccess> {
  /** Not set on Cloud: with `serverUrl` the router talks to a Bitbucket Data Center instance. */
  readonly serverUrl?: undefined;
  /**
   * Who may sign in: workspace membership (by slug or `{uuid}`), a minimum role, readable
   * repositories. Checked right after the code exchange, before any user, key or session is read or
   * written; a refusal is `ACCESS_NOT_ALLOWED` (403), and also ends every session of a user who no
   * longer qualifies. Default: anyone with a Bitbucket account.
   * @example allow: { workspaces: ["acme"], role: "owner" }
   */
  readonly allow?: BitbucketAllow;
  /**
   * Fetch `/2.0/user/emails` and hand the primary, confirmed address to the hooks. Default `false`,
   * because it needs the consumer's `email` permission.
   */
  readonly fetchEmail?: boolean;
}

/**
 * Options of {@link bitbucketRouter} for Bitbucket Data Center: `serverUrl` and the Data Center
 * rules. Everything else works as on Cloud.
 *
 * @example
 * bitbucketRouter(auth, {
 *   serverUrl: "https://git.acme.com/bitbucket",
 *   clientId, clientSecret, redirectUri,
 *   allow: { projects: ["ENG"], permission: "write" },
 * });
 */
export interface BitbucketDataCenterRouterOptions<_Auth extends Auth = Auth>
  extends
    RouterOptionsCommon,
    BitbucketRouterHooks<_Auth, BitbucketDataCenterUser, BitbucketDataCenterAccess> {
  /**
   * The instance's base URL with its context path (`https://git.acme.com/bitbucket`). Required for
   * Data Center. https only; plain http only for `localhost`, `127.0.0.1` or `[::1]` (testing). No
   * query or fragment; a trailing slash is harmless. Every endpoint keeps the context path.
   */
  readonly serverUrl: string;
  /**
   * The Lucia key's provider id. Default `"bitbucket-datacenter"`. Set it to keep two instances'
   * accounts apart (`"bitbucket-acme"`); `"bitbucket"` is Cloud's and is refused.
   */
  readonly providerId?: string;
  /**
   * Data Center scopes to ask for. Default `["PUBLIC_REPOS"]`; `REPO_READ` is added when `allow`
   * names projects or repositories.
   */
  readonly scope?: readonly string[];
  /**
   * Who may sign in: at least `permission` (default `"read"`) on one of `projects` and on one of
   * `repositories` ("KEY/repo-slug"). Checked beside the identity calls, before anything is read or
   * written; a refusal is `ACCESS_NOT_ALLOWED` (403) and ends an existing user's sessions.
   * WARNING: "read" on a project or repository open to public access admits every account.
   * @example allow: { projects: ["ENG"], permission: "write" }
   */
  readonly allow?: BitbucketDataCenterAllow;
}
