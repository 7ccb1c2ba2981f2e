import type { Auth } from "lucia";
import type { ProviderUserAuth } from "@lucia-auth/oauth";
import type { BitbucketTokens } from "@lucia-auth/oauth/providers";
import type { TokenAnswer } from "../http/token-form.js";
import type { Deadline } from "../http/upstream.js";

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

/** One login's Bitbucket side, once the code is exchanged and the gate has answered. */
export interface SignIn<_Auth extends Auth, User, Access extends AccessVerdict> {
  /** The provider's handle (keyed on the edition's stable user id), with the user and tokens. */
  readonly bitbucketUserAuth: ProviderUserAuth<_Auth> & {
    readonly bitbucketUser: User;
    readonly bitbucketTokens: BitbucketTokens;
  };
  /** What the `allow` rules found; `null` without `allow`. A refusal is the route's to act on. */
  readonly access: Access | null;
  /** The email, or why it could not be read: thrown by the route only after a refusal stands. */
  readonly email: PromiseSettledResult<string | null>;
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

/** What re-checks after sign-in ask of a Bitbucket (the guard, `checkBitbucketAccess`, refresh). */
export interface EditionClient<Allow, Access extends AccessVerdict> {
  /** The `allow` rules (resolved), asked with a stored access token. */
  checkAccess(allow: Allow, accessToken: string, deadline: Deadline): Promise<Access>;
  /** New tokens for a refresh token. */
  refresh(refreshToken: string, deadline: Deadline): Promise<TokenAnswer>;
}
