import type { Auth } from "lucia";
import type { ProviderUserAuth } from "@lucia-auth/oauth";
import type { BitbucketTokens } from "@lucia-auth/oauth/providers";
import type { TokenAnswer } from "../http/token-form.js";
import type { Deadline } from "../http/upstream.js";
import type { Fail } from "../util/validators.js";

// The one seam between the routes and "a Bitbucket". The routes, the state cookie and the Lucia
// steps only ever talk to these interfaces; every endpoint, header and answer shape of an edition
// lives in its own folder beside this file.

/**
 * `GET <path>` on the Bitbucket API with the login's access token, under the login's deadline.
 * Resolves with the JSON on 200, with `null` on a definite "no" (a 404, or a refusal with the token
 * accepted), and throws a coded `BitbucketAuthError` otherwise (`BITBUCKET_UNAVAILABLE`,
 * `BITBUCKET_RATE_LIMITED`, `BITBUCKET_TIMEOUT`, `BITBUCKET_TOKEN_REJECTED`, `SCOPE_MISSING`).
 * A path with `.` or `..` segments, encoded or not, is refused before anything is sent.
 *
 * @example
 * authorize: async ({ fetchBitbucket }) =>
 *   (await fetchBitbucket("/2.0/repositories/acme/deploy-keys")) !== null
 */
export type FetchBitbucket = (path: string) => Promise<unknown>;

export type { TokenAnswer } from "../http/token-form.js";

/** Where the login route sends the browser, and what its state cookie must keep for the callback. */
export interface AuthorizationRequest {
  readonly url: URL;
  readonly state: string;
  /** The PKCE verifier, kept in the signed state cookie only; `null` where the edition has no PKCE. */
  readonly codeVerifier: string | null;
}

/** Every answer of the rules: whether they hold, and if not, why. */
export interface AccessVerdict {
  readonly allowed: boolean;
  readonly reason?: string | null;
}

/**
 * The provider's handle of one login, keyed on the edition's stable user id (Cloud's `uuid`, Data
 * Center's numeric `id`), with the Bitbucket user and the tokens: `getExistingUser()`,
 * `createUser({ attributes })`, `createKey(userId)`. On Cloud it has the shape of
 * `@lucia-auth/oauth`'s `BitbucketUserAuth`.
 */
export type BitbucketProviderUserAuth<_Auth extends Auth, BbUser> = ProviderUserAuth<_Auth> & {
  readonly bitbucketUser: BbUser;
  readonly bitbucketTokens: BitbucketTokens;
};

/** One login's Bitbucket side, once the code is exchanged and the gate has answered. */
export interface SignIn<_Auth extends Auth, User, Access extends AccessVerdict> {
  /** The provider's handle (keyed on the edition's stable user id), with the user and tokens. */
  readonly bitbucketUserAuth: BitbucketProviderUserAuth<_Auth, User>;
  /** What the `allow` rules found; `null` without `allow`. A refusal is the route's to act on. */
  readonly access: Access | null;
  /**
   * Why this account may not sign in whatever the rules say (Data Center: inactive, or a `SERVICE`
   * account), or `null`. The route refuses it as it refuses a failed rule.
   */
  readonly refusal: string | null;
  /**
   * The email, or `null`. An email that could not be read is the edition's to throw, and only when
   * no refusal stands: a refused person hears of the refusal, not of an outage beside it.
   */
  readonly email: string | null;
  /**
   * The account's Bitbucket name, for display and for forward-auth's `X-Auth-Request-User` (Cloud:
   * `username`, or `nickname` where Bitbucket left `username` out; Data Center: the login `name`).
   * It can change, and on Cloud it is not always unique: never key an account on it.
   */
  readonly name: string | null;
  /** The `authorize` hook's way to ask this Bitbucket more, under the same deadline. */
  readonly fetchBitbucket: FetchBitbucket;
}

/** What the login, link and callback routes ask of a Bitbucket. Built once per router. */
export interface Edition<_Auth extends Auth, User, Access extends AccessVerdict> {
  /** A fresh authorization URL, its state, and the PKCE verifier if any. */
  authorizationUrl(): Promise<AuthorizationRequest>;
  /**
   * The code exchange, then who signed in, with the gate and the email beside it: every Bitbucket
   * call of one callback, under its deadline. An outage or a malformed answer throws a coded error.
   */
  signIn(code: string, codeVerifier: string | null, deadline: Deadline): Promise<SignIn<_Auth, User, Access>>;
}

export type { Fail } from "../util/validators.js";

/** A router's or a guard's OAuth client. `redirectUri` is absent where no login runs (the check). */
export interface Credentials {
  readonly clientId: string;
  readonly clientSecret: string;
  readonly redirectUri?: string | undefined;
}

/** A refresh on one Bitbucket: new tokens for a refresh token (Data Center rotates both). */
export type Refresh = (refreshToken: string, deadline: Deadline) => Promise<TokenAnswer>;

/** One Bitbucket's `allow` rules: what a re-check asks, and what names them beside `checkedAt`. */
export interface Rules<Access extends AccessVerdict> {
  /** A fingerprint of the rules: a check counts only for the rules it was made for. */
  readonly fingerprint: string;
  /** The rules asked with a stored access token. */
  ask(accessToken: string, deadline: Deadline): Promise<Access>;
  /**
   * What admitted the person, as names and values (Cloud: `workspace`, `role`, `repository`; Data
   * Center: `project`, `permission`, `repository`), each present only when found: forward-auth's
   * `X-Auth-Request-<Name>` headers.
   */
  admitted(access: Access): Readonly<Record<string, string>>;
}

/**
 * One Bitbucket with its options resolved: the edition, the instance, the provider id and the
 * rules. The router, the guard, `checkBitbucketAccess` and `refreshBitbucketTokens` all start here.
 */
export interface Bitbucket<User, Access extends AccessVerdict> {
  /** The Lucia provider id of this Bitbucket's keys: `"bitbucket"` on Cloud. */
  readonly providerId: string;
  /** Which Bitbucket a user's stored tokens are for (see `grantOf`). */
  readonly grant: string;
  /** What a signed state names of this Bitbucket (edition, instance), before the router's own parts. */
  readonly issuer: readonly string[];
  /** The `allow` rules, resolved; `null` when none were given. */
  readonly rules: Rules<Access> | null;
  /** The login as the routes run it. */
  login<_Auth extends Auth>(
    auth: _Auth,
    credentials: Credentials & { readonly redirectUri: string },
  ): Edition<_Auth, User, Access>;
  /** The refresh with this client's credentials. */
  refresher(credentials: Credentials): Refresh;
}

/**
 * An edition's part in the public option types, at the type level only: who signs in, what its
 * rules find, its rules, and the option keys it adds to each factory. The factories build their
 * options for every edition from these (`editions/option-types.ts`), so a new edition brings its
 * types in its own folder.
 */
export interface EditionTypes {
  /** The Bitbucket user as the hooks receive it. */
  readonly user: unknown;
  /** What its `allow` rules found. */
  readonly access: AccessVerdict;
  /** Its `allow` rules. */
  readonly allow: object;
  /** The keys that name the instance, on every factory (Data Center: `serverUrl`). */
  readonly instance: object;
  /** The keys that name whose keys and tokens these are, where those are read (Data Center: `providerId`). */
  readonly stored: object;
  /** The keys of its login alone, on the router (Cloud: `fetchEmail`; Data Center: `scope`). */
  readonly login: object;
  /** The keys a refresh sends along, on the guard and the refresh (Data Center: `redirectUri`). */
  readonly refresh: object;
}

/** An edition of Bitbucket: which options pick it, and how they become its {@link Bitbucket}. */
export interface EditionDefinition<T extends EditionTypes> {
  /** True when these options are for this edition. */
  picks(options: Readonly<Record<string, unknown>>): boolean;
  /**
   * The keys that name its instance and whose tokens, on every factory (Data Center: `serverUrl`,
   * `providerId`), each with what to say when another edition is given it. The guard, the check
   * and the refresh pass these on to `select`.
   */
  readonly instanceOptions: Readonly<Record<string, string>>;
  /** The keys of its login alone, on the router, the same way. */
  readonly ownOptions: Readonly<Record<string, string>>;
  /** Its own `allow` keys, the same way. */
  readonly ownRules: Readonly<Record<string, string>>;
  /** Checks its options once (the rules, the instance, the provider id), through `fail`. */
  resolve(options: Readonly<Record<string, unknown>>, fail: Fail): Bitbucket<T["user"], T["access"]>;
}
