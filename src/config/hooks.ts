// What the router's hooks receive and return, typed by edition: Cloud's user and access by default,
// Data Center's with `serverUrl`.
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
import type { BitbucketProviderUserAuth, FetchBitbucket } from "../editions/edition.js";

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

/** The hooks of {@link bitbucketRouter}, typed by edition. */
export interface BitbucketRouterHooks<
  _Auth extends Auth = Auth,
  BbUser = BitbucketUser,
  Access = BitbucketAccess,
> {
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
