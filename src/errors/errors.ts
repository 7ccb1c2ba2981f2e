/**
 * Every failure this package reports, with the HTTP status it answers with.
 *
 * The codes are stable: apps may switch on them, and `failureRedirect` carries them as `?error=CODE`.
 * 4xx means the request (or the person) was at fault; 5xx means Bitbucket, the database or the
 * server's own configuration was.
 */
export const ERROR_STATUS = {
  /** No state cookie came back: the login was not started in this browser, or the cookie expired. */
  STATE_COOKIE_MISSING: 400,
  /** The state cookie was unsigned, tampered with, or malformed. */
  STATE_COOKIE_INVALID: 400,
  /** The state cookie is older than `stateMaxAge`. */
  STATE_EXPIRED: 400,
  /** `?state` is missing, repeated, or differs from the cookie (CSRF or a replay). */
  STATE_MISMATCH: 400,
  /** This state cookie already came back to a callback of this server once (a replay). */
  STATE_ALREADY_USED: 400,
  /** The person pressed "Deny" on Bitbucket (`?error=access_denied`). */
  ACCESS_DENIED: 403,
  /** Bitbucket redirected back with another `?error=` value. */
  AUTHORIZATION_FAILED: 400,
  /** `?code` is missing, repeated, too long, or has characters a code never has. */
  CODE_INVALID: 400,
  /** Bitbucket refused the code (reused, expired, or issued for another redirect URI). */
  TOKEN_EXCHANGE_FAILED: 400,
  /** Bitbucket refused the client credentials: check `clientId` and `clientSecret`. */
  CLIENT_CREDENTIALS_REJECTED: 502,
  /** The OAuth consumer lacks a permission (`account`, or `email` with `fetchEmail`). */
  SCOPE_MISSING: 502,
  /** Bitbucket refused the access token it had just issued. */
  BITBUCKET_TOKEN_REJECTED: 502,
  /** Bitbucket rate-limited the request (HTTP 429). */
  BITBUCKET_RATE_LIMITED: 503,
  /** Bitbucket answered 5xx, could not be reached, or sent a body that is not JSON. */
  BITBUCKET_UNAVAILABLE: 502,
  /** Bitbucket did not answer within `timeout`. */
  BITBUCKET_TIMEOUT: 504,
  /**
   * Bitbucket's user object lacks its `uuid` (Cloud), or the user record found does not carry the
   * numeric id the token belongs to (Data Center).
   */
  BITBUCKET_USER_INVALID: 502,
  /** The `createUser` hook returned `null`: sign-ups are refused. */
  SIGN_UP_REFUSED: 403,
  /** The Bitbucket account is already linked to a different user. */
  ACCOUNT_ALREADY_LINKED: 409,
  /** Creating or finding the user failed in the database or in a hook. */
  USER_CREATION_FAILED: 500,
  /** Creating the Lucia session failed. */
  SESSION_CREATION_FAILED: 500,
  /** Neither `cookieParser(secret)` nor the `cookieSecret` option supplies a secret to sign the state. */
  COOKIE_SECRET_MISSING: 500,
  /**
   * The router is mounted under another prefix than `redirectUri`'s path says (`app.use("/auth", …)`
   * with a `redirectUri` of `/login/bitbucket/callback`, say): Bitbucket's redirect would land on a
   * route that never reaches the router. Answered by every route of that router until fixed.
   */
  MOUNT_PATH_MISMATCH: 500,
  /** `refreshBitbucketTokens`: Bitbucket refused the refresh token (used, revoked or expired). */
  REFRESH_TOKEN_INVALID: 400,
  /** The logout route was called cross-site (its `Origin` is not the app's own). */
  LOGOUT_ORIGIN_REJECTED: 403,
  /**
   * The person is signed in to Bitbucket but fails a rule of `allow` (or the `authorize` hook said
   * no); from `bitbucketForwardAuth`, a named rule of `rules` refuses them, and their sessions stay.
   */
  ACCESS_NOT_ALLOWED: 403,
  /** The `authorize` hook threw instead of answering true or false. */
  ACCESS_CHECK_FAILED: 500,
  /** The link route was called without a valid Lucia session: sign in first. */
  LINK_REQUIRES_SESSION: 401,
  /** The link route was called cross-site (its `Origin` is not the app's own). */
  LINK_ORIGIN_REJECTED: 403,
  /** A link flow came back to the callback under another session (or none) than the one that started it. */
  LINK_SESSION_MISMATCH: 403,
  /**
   * `bitbucketAccessGuard`: the signed-in user no longer qualifies (removed, revoked the app, no
   * stored tokens, or Bitbucket unreachable for longer than `maxStale`); every session of theirs was ended.
   */
  ACCESS_REVOKED: 401,
  /**
   * `bitbucketAccessGuard` or `bitbucketForwardAuth`: the token store failed to read or write (or,
   * for forward-auth, the session could not be read); the request was not let through.
   */
  TOKEN_STORE_FAILED: 500,
  /**
   * `bitbucketAccessGuard` or `bitbucketForwardAuth`: the user signed in through this Bitbucket,
   * but the store it was given holds no tokens for them, most often because `bitbucketRouter` was
   * given no `tokens` (or another store); the message names the fix. Every session of theirs was
   * ended, as for `ACCESS_REVOKED`. A request whose session another request ended meanwhile is not
   * this: it goes on as signed out.
   */
  TOKENS_NOT_STORED: 500,
  /**
   * `bitbucketAccessGuard`: the user no longer qualifies, but Lucia could not end their sessions;
   * the request was not let through, and the next one checks again.
   */
  SESSION_REVOCATION_FAILED: 500,
  /**
   * `bitbucketForwardAuth`: no valid session of a user who signed in through this Bitbucket; the
   * `redirect` route sends the browser to `loginUrl` instead.
   */
  SIGN_IN_REQUIRED: 401,
  /**
   * `bitbucketForwardAuth`: the proxy asked for a rule that is not in `rules` (a typo in its
   * configuration); nothing was let through.
   */
  FORWARD_AUTH_RULE_UNKNOWN: 500,
} as const;

/** A stable error code, one of the keys of {@link ERROR_STATUS}. */
export type BitbucketAuthErrorCode = keyof typeof ERROR_STATUS;

const DEFAULT_MESSAGES: Readonly<Record<BitbucketAuthErrorCode, string>> = {
  STATE_COOKIE_MISSING: "The login state cookie is missing. Start the login again from the login route.",
  STATE_COOKIE_INVALID: "The login state cookie is not validly signed.",
  STATE_EXPIRED: "The login took too long and its state expired. Start the login again.",
  STATE_MISMATCH: "The state parameter does not match this browser's login.",
  STATE_ALREADY_USED: "This login's state was already used. Start the login again.",
  ACCESS_DENIED: "Access to the Bitbucket account was denied.",
  AUTHORIZATION_FAILED: "Bitbucket reported an authorization error.",
  CODE_INVALID: "The authorization code is missing or malformed.",
  TOKEN_EXCHANGE_FAILED: "Bitbucket refused the authorization code.",
  CLIENT_CREDENTIALS_REJECTED:
    "Bitbucket refused the OAuth client credentials. Check clientId and clientSecret against the consumer in Bitbucket's workspace settings.",
  SCOPE_MISSING:
    "Bitbucket refused: the OAuth consumer lacks a required permission. Enable Account: Read (and Email, for fetchEmail) in the consumer's settings.",
  BITBUCKET_TOKEN_REJECTED: "Bitbucket refused the access token.",
  BITBUCKET_RATE_LIMITED: "Bitbucket's rate limit was reached. Try again later.",
  BITBUCKET_UNAVAILABLE: "Bitbucket is unavailable.",
  BITBUCKET_TIMEOUT: "Bitbucket did not answer in time.",
  BITBUCKET_USER_INVALID: "Bitbucket's user object does not identify the person who signed in.",
  SIGN_UP_REFUSED: "Sign-ups with Bitbucket are not allowed.",
  ACCOUNT_ALREADY_LINKED: "This Bitbucket account is already linked to another user.",
  USER_CREATION_FAILED: "The user could not be found or created.",
  SESSION_CREATION_FAILED: "The session could not be created.",
  COOKIE_SECRET_MISSING:
    "No secret to sign the login state cookie: mount app.use(cookieParser(secret)) before bitbucketRouter(), or pass the cookieSecret option.",
  MOUNT_PATH_MISMATCH:
    "The router is mounted under another path prefix than redirectUri's path: Bitbucket's redirect would not reach it.",
  REFRESH_TOKEN_INVALID: "Bitbucket refused the refresh token.",
  LOGOUT_ORIGIN_REJECTED: "Cross-site logout requests are refused.",
  ACCESS_NOT_ALLOWED: "This Bitbucket account is not allowed to sign in here.",
  ACCESS_CHECK_FAILED: "The authorize hook failed; nobody was signed in.",
  LINK_REQUIRES_SESSION: "Sign in first: linking a Bitbucket account needs a signed-in user.",
  LINK_ORIGIN_REJECTED: "Cross-site link requests are refused.",
  LINK_SESSION_MISMATCH:
    "This link was started under another session; nothing was linked. Start the link again while signed in.",
  ACCESS_REVOKED: "Access through Bitbucket is no longer granted; every session was ended. Sign in again.",
  TOKEN_STORE_FAILED: "The stored Bitbucket tokens could not be read or written.",
  TOKENS_NOT_STORED:
    "No Bitbucket tokens are stored for this user, so access could not be checked; every session was ended. Pass the same tokens store to bitbucketRouter and bitbucketAccessGuard.",
  SESSION_REVOCATION_FAILED:
    "Access through Bitbucket is no longer granted, but the sessions could not be ended; nothing was let through.",
  SIGN_IN_REQUIRED: "Sign in with Bitbucket first.",
  FORWARD_AUTH_RULE_UNKNOWN:
    "The proxy asked forward-auth for a rule that is not configured; check the rule name in its configuration against the rules option.",
};

/**
 * The one error class of this package. Runtime failures reach the app's error handler through
 * `next(err)` (or become `failureRedirect?error=CODE`).
 *
 * @example
 * app.use((err, req, res, next) => {
 *   if (err instanceof BitbucketAuthError) return res.status(err.status).json({ error: err.code });
 *   next(err);
 * });
 */
export class BitbucketAuthError extends Error {
  /** The stable code; see {@link ERROR_STATUS}. */
  readonly code: BitbucketAuthErrorCode;
  /** The HTTP status the error answers with. */
  readonly status: number;
  /** Lets Express's default handler show the message: it never holds a secret, code or token. */
  readonly expose = true;
  /**
   * With `BITBUCKET_RATE_LIMITED`: the seconds Bitbucket asked to wait (its `Retry-After`), which
   * `bitbucketErrorHandler()` sends on as `Retry-After`. Otherwise `null`.
   */
  readonly retryAfter: number | null;

  constructor(
    code: BitbucketAuthErrorCode,
    message?: string,
    options?: { readonly cause?: unknown; readonly retryAfter?: number | null },
  ) {
    super(message ?? DEFAULT_MESSAGES[code], options);
    this.name = "BitbucketAuthError";
    this.code = code;
    this.status = ERROR_STATUS[code];
    this.retryAfter = options?.retryAfter ?? null;
  }
}

/** Wraps anything thrown by a step into a BitbucketAuthError, keeping one that already is. */
export function asAuthError(err: unknown, code: BitbucketAuthErrorCode): BitbucketAuthError {
  return err instanceof BitbucketAuthError ? err : new BitbucketAuthError(code, undefined, { cause: err });
}
