import type {
  Auth,
  GlobalDatabaseSessionAttributes,
  GlobalDatabaseUserAttributes,
  Session,
  User,
} from "lucia";
import type { BitbucketTokens, BitbucketUser, BitbucketUserAuth } from "@lucia-auth/oauth/providers";
import type { Request, Response } from "express";

type MaybePromise<T> = T | Promise<T>;

/** What every hook learns about the Bitbucket side of the login. */
export interface BitbucketLoginContext<_Auth extends Auth = Auth> {
  /** `/2.0/user` as Bitbucket sent it. `username` may be absent: Bitbucket removed it in 2019. */
  readonly bitbucketUser: BitbucketUser;
  /** The tokens from the exchange; `refreshToken` rotates on every refresh. */
  readonly bitbucketTokens: BitbucketTokens;
  /** The primary, confirmed address when `fetchEmail` is on; otherwise, or when there is none, `null`. */
  readonly email: string | null;
  /** The provider's handle: `getExistingUser()`, `createUser({ attributes })`, `createKey(userId)`. */
  readonly bitbucketUserAuth: BitbucketUserAuth<_Auth>;
  /** The callback request. */
  readonly req: Request;
}

/** What `onSuccess` receives once the session exists. */
export interface BitbucketSuccessContext<_Auth extends Auth = Auth> extends BitbucketLoginContext<_Auth> {
  readonly user: User;
  readonly session: Session;
  /** True when this login created the user. */
  readonly isNewUser: boolean;
  /** True when this login linked the Bitbucket account to the already signed-in user. */
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
export interface BitbucketRouterOptions<_Auth extends Auth = Auth> {
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
  /** Name of the state cookie. Default `"bitbucket_oauth_state"`. */
  readonly stateCookieName?: string;
  /**
   * Lifetime of the state cookie in milliseconds (Express units). Default `600_000` (10 minutes); at most 1 hour.
   * WARNING: a longer window keeps a started login (and its state) usable for longer.
   */
  readonly stateMaxAge?: number;
  /** Deadline in milliseconds for each Bitbucket call (the provider has none). Default `10_000`. */
  readonly timeout?: number;
  /**
   * Link the Bitbucket account to the signed-in user (with `createKey`) when a valid Lucia session
   * comes back to the callback. Default `true`. An account linked to another user is refused with
   * `ACCOUNT_ALREADY_LINKED`.
   */
  readonly linkAccounts?: boolean;
  /**
   * Fetch `/2.0/user/emails` and hand the primary, confirmed address to the hooks. Default `false`,
   * because it needs the consumer's `email` permission.
   */
  readonly fetchEmail?: boolean;
  /**
   * Mount `POST <logoutPath>`, which invalidates the Lucia session and clears its cookie.
   * Cross-site requests (by `Origin`) are refused. Default `false` (not mounted).
   */
  readonly logoutPath?: string | false;
  /** Where the logout route redirects. Default `"/"`. */
  readonly logoutRedirect?: string;
  /**
   * Attributes of a new user. Default: `{}`; it never assumes `username`, which Bitbucket removed.
   * @example getUserAttributes: (bb, { email }) => ({ name: bb.display_name, email })
   */
  readonly getUserAttributes?: (
    bitbucketUser: BitbucketUser,
    context: BitbucketLoginContext<_Auth>,
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
  readonly createUser?: (context: BitbucketLoginContext<_Auth>) => MaybePromise<User | null>;
  /**
   * Attributes of the new session. Default `{}`.
   * @example getSessionAttributes: ({ req }) => ({ user_agent: req.get("user-agent") ?? "" })
   */
  readonly getSessionAttributes?: (
    context: BitbucketLoginContext<_Auth> & { readonly user: User },
  ) => MaybePromise<GlobalDatabaseSessionAttributes>;
  /**
   * Runs after the session cookie is set. Store the tokens here, or answer yourself: when the hook
   * has sent a response the router does not redirect. A throw fails the login.
   * @example onSuccess: async ({ user, bitbucketTokens }) => tokens.save(user.userId, bitbucketTokens)
   */
  readonly onSuccess?: (context: BitbucketSuccessContext<_Auth>) => MaybePromise<void>;
}

/** The options after validation, with every default filled in. Built once per router. */
export interface ResolvedOptions<_Auth extends Auth = Auth> {
  readonly provider: {
    readonly clientId: string;
    readonly clientSecret: string;
    readonly redirectUri: string;
  };
  readonly loginPath: string;
  readonly callbackPath: string;
  readonly successRedirect: string;
  readonly failureRedirect: string | undefined;
  readonly cookieSecrets: readonly string[] | undefined;
  readonly stateCookie: {
    readonly name: string;
    readonly path: string;
    readonly secure: boolean;
    readonly maxAge: number;
  };
  readonly timeout: number;
  readonly linkAccounts: boolean;
  readonly fetchEmail: boolean;
  readonly logoutPath: string | false;
  readonly logoutRedirect: string;
  readonly createUser: NonNullable<BitbucketRouterOptions<_Auth>["createUser"]>;
  readonly getSessionAttributes: NonNullable<BitbucketRouterOptions<_Auth>["getSessionAttributes"]>;
  readonly onSuccess: BitbucketRouterOptions<_Auth>["onSuccess"];
}
