import type {
  Auth,
  GlobalDatabaseSessionAttributes,
  GlobalDatabaseUserAttributes,
  Session,
  User,
} from "lucia";
import type { BitbucketTokens, BitbucketUser } from "@lucia-auth/oauth/providers";
import type { Request, Response } from "express";
import type { BitbucketAccess } from "../editions/cloud/access.js";
import type { BitbucketAllow } from "../editions/cloud/allow.js";
import type { BitbucketProviderUserAuth, FetchBitbucket } from "../editions/edition.js";
export type { BitbucketProviderUserAuth } from "../editions/edition.js";
import type { BitbucketTokenStore } from "../tokens/token-store.js";
import type { Selected } from "../editions/select.js";
import type { BitbucketDataCenterAccess } from "../editions/datacenter/access.js";
import type { BitbucketDataCenterAllow } from "../editions/datacenter/allow.js";
import type { BitbucketDataCenterUser } from "../editions/datacenter/identity.js";

type MaybePromise<T> = T | Promise<T>;

/**
 * What every hook learns about the Bitbucket side of the login. `BbUser` and `Access` are Cloud's
 * by default; with `serverUrl` they are `BitbucketDataCenterUser` and `BitbucketDataCenterAccess`.
 */
export interface BitbucketLoginContext<
  _Auth extends Auth = Auth,
  BbUser = BitbucketUser,
  Access = BitbucketAccess,
> {
  /**
   * Cloud: `/2.0/user` as Bitbucket sent it (`username` may be absent: Bitbucket removed it in
   * 2019). Data Center: the user record whose numeric `id` the token belongs to.
   */
  readonly bitbucketUser: BbUser;
  /** The tokens from the exchange; `refreshToken` rotates on every refresh. */
  readonly bitbucketTokens: BitbucketTokens;
  /**
   * Cloud: the primary, confirmed address when `fetchEmail` is on; otherwise, or when there is none,
   * `null`. Data Center: the record's `emailAddress`, `null` when empty.
   */
  readonly email: string | null;
  /**
   * What the `allow` rules found (the workspace's slug, uuid and name, the role, the readable
   * repository), or `null` when `allow` is not set. By the time a hook runs, `access.allowed` is true.
   */
  readonly access: Access | null;
  /** The provider's handle: `getExistingUser()`, `createUser({ attributes })`, `createKey(userId)`. */
  readonly bitbucketUserAuth: BitbucketProviderUserAuth<_Auth, BbUser>;
  /** The callback request. */
  readonly req: Request;
}

/** What the `authorize` hook receives: the login so far, and a way to ask Bitbucket more. */
export interface BitbucketAuthorizeContext<
  _Auth extends Auth = Auth,
  BbUser = BitbucketUser,
  Access = BitbucketAccess,
> extends BitbucketLoginContext<_Auth, BbUser, Access> {
  /**
   * Cloud: `GET https://api.bitbucket.org<path>` (`/2.0/…`); Data Center: `GET {serverUrl}<path>`
   * (`/rest/…`). With this login's token, under the login's deadline: the JSON on 200, `null` on a
   * 404 or a "no access" answer, a coded `BitbucketAuthError` on an outage.
   */
  readonly fetchBitbucket: FetchBitbucket;
}

/** What `onSuccess` receives once the session exists. */
export interface BitbucketSuccessContext<
  _Auth extends Auth = Auth,
  BbUser = BitbucketUser,
  Access = BitbucketAccess,
> extends BitbucketLoginContext<_Auth, BbUser, Access> {
  readonly user: User;
  readonly session: Session;
  /** True when this login created the user. */
  readonly isNewUser: boolean;
  /** True when this login (a link flow started at `linkPath`) linked the Bitbucket account to the signed-in user. */
  readonly isLinked: boolean;
  /** Where the router will redirect unless the hook answers itself: the safe `returnTo`, or `successRedirect`. */
  readonly redirectTo: string;
  readonly res: Response;
}

/**
 * Options of {@link bitbucketRouter}. Only `clientId`, `clientSecret` and `redirectUri` are required;
 * they are the configs of `bitbucket()` from `@lucia-auth/oauth/providers`.
 *
 * @example
 * bitbucketRouter(auth, {
 *   clientId: process.env.BITBUCKET_CLIENT_ID!,
 *   clientSecret: process.env.BITBUCKET_CLIENT_SECRET!,
 *   redirectUri: "http://localhost:3000/login/bitbucket/callback",
 *   getUserAttributes: (bb) => ({ name: bb.display_name }),
 * });
 */
interface RouterOptionsCommon {
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
  /** Where a login lands when no safe `?returnTo` was given. Default `"/"`. */
  readonly successRedirect?: string;
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

/** The hooks of {@link bitbucketRouter}, typed by edition. */
export interface BitbucketRouterHooks<_Auth extends Auth, BbUser, Access> {
  /**
   * Attributes of a new user. Default: `{}`; it never assumes `username`, which Bitbucket removed.
   * @example getUserAttributes: (bb, { email }) => ({ name: bb.display_name, email })
   */
  readonly getUserAttributes?: (
    bitbucketUser: BbUser,
    context: BitbucketLoginContext<_Auth, BbUser, Access>,
  ) => MaybePromise<GlobalDatabaseUserAttributes>;
  /**
   * Replaces user creation. Called when no user has this Bitbucket account yet; return the user to
   * sign in, or `null` to refuse the sign-up (`SIGN_UP_REFUSED`).
   *
   * WARNING: linking by email to an existing user lets whoever controls that address on Bitbucket
   * take over the account; only link a confirmed (`email` non-null) address you trust.
   * @example
   * createUser: async ({ bitbucketUserAuth, email }) => {
   *   if (!email?.endsWith("@example.com")) return null; // invitation only
   *   return bitbucketUserAuth.createUser({ attributes: { email } });
   * }
   */
  readonly createUser?: (context: BitbucketLoginContext<_Auth, BbUser, Access>) => MaybePromise<User | null>;
  /**
   * Rules of the app's own, after `allow` holds and before any user is read or written. Return
   * `true` to let the person in; anything else refuses with `ACCESS_NOT_ALLOWED` (and ends the
   * sessions of an existing user, as `allow` does). A throw fails with `ACCESS_CHECK_FAILED`, or
   * with the coded error `fetchBitbucket` threw.
   * @example
   * authorize: async ({ fetchBitbucket }) =>
   *   (await fetchBitbucket("/2.0/repositories/acme/ops")) !== null
   */
  readonly authorize?: (context: BitbucketAuthorizeContext<_Auth, BbUser, Access>) => MaybePromise<boolean>;
  /**
   * Attributes of the new session. Default `{}`.
   * @example getSessionAttributes: ({ req }) => ({ user_agent: req.get("user-agent") ?? "" })
   */
  readonly getSessionAttributes?: (
    context: BitbucketLoginContext<_Auth, BbUser, Access> & { readonly user: User },
  ) => MaybePromise<GlobalDatabaseSessionAttributes>;
  /**
   * Runs after the session cookie is set (and after the `tokens` store has the login's tokens).
   * Answer yourself here when you like: when the hook has sent a response the router does not
   * redirect. A throw fails the login.
   * @example onSuccess: async ({ user, isNewUser }) => void (isNewUser && audit.log("sign-up", user.userId))
   */
  readonly onSuccess?: (context: BitbucketSuccessContext<_Auth, BbUser, Access>) => MaybePromise<void>;
}

/** Options of {@link bitbucketRouter} for Bitbucket Cloud (no `serverUrl`). */
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

/** The options after validation, with every default filled in. Built once per router. */
export interface ResolvedOptions {
  readonly provider: {
    readonly clientId: string;
    readonly clientSecret: string;
    readonly redirectUri: string;
  };
  readonly loginPath: string;
  readonly callbackPath: string;
  /** The prefix the router must be mounted under: what `redirectUri`'s path has before `callbackPath`. */
  readonly mountPath: string;
  readonly successRedirect: string;
  readonly failureRedirect: string | undefined;
  readonly cookieSecrets: readonly string[] | undefined;
  readonly stateCookie: {
    /** The name's stem; each login start adds `.<tag>`. `__Host-` first on https. */
    readonly name: string;
    readonly path: string;
    readonly secure: boolean;
    readonly maxAge: number;
  };
  readonly timeout: number;
  /**
   * Names the router in every state it signs: a hash of the edition, client, redirect URI and
   * link setting, so another router that shares the secret cannot finish its logins here.
   */
  readonly stateIssuer: string;
  /** Which Bitbucket, with its rules: the router builds the login from this alone. */
  readonly selected: Selected;
  /** True when a login runs a gate (`allow`), so the stored tokens count as just checked. */
  readonly gated: boolean;
  /** Which Bitbucket this router's stored tokens are for (see `grantOf`). */
  readonly grant: string;
  /** The fingerprint of `allow`, stored beside the login's `checkedAt`; undefined without `allow`. */
  readonly checkedRules: string | undefined;
  readonly refusalMessage: "detailed" | "generic";
  readonly tokens: BitbucketTokenStore | null;
  readonly linkPath: string | false;
  readonly logoutPath: string | false;
  readonly logoutRedirect: string;
}

/** The hooks after validation: the edition's user and access types, the defaults filled in. */
export interface ResolvedHooks<_Auth extends Auth, BbUser, Access> {
  readonly authorize: BitbucketRouterHooks<_Auth, BbUser, Access>["authorize"];
  readonly createUser: NonNullable<BitbucketRouterHooks<_Auth, BbUser, Access>["createUser"]>;
  readonly getSessionAttributes: NonNullable<
    BitbucketRouterHooks<_Auth, BbUser, Access>["getSessionAttributes"]
  >;
  readonly onSuccess: BitbucketRouterHooks<_Auth, BbUser, Access>["onSuccess"];
}
