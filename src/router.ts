import { Router } from "express";
import type { Auth } from "lucia";
import { bitbucket } from "@lucia-auth/oauth/providers";
import { createCallbackHandler } from "./callback.js";
import { createFailureHandler } from "./failure.js";
import { createLoginHandler } from "./login.js";
import { createLogoutHandler } from "./logout.js";
import type { BitbucketRouterOptions } from "./options.js";
import { resolveOptions } from "./resolve-options.js";
import { createStateCookie } from "./state-cookie.js";

/**
 * "Log in with Bitbucket" for an Express app that uses Lucia 2. Mounts `GET /login/bitbucket` and
 * `GET /login/bitbucket/callback` (and, when `logoutPath` is set, `POST <logoutPath>`).
 * Mount `cookieParser(secret)` first, or pass `cookieSecret`.
 *
 * @throws TypeError at construction when an option is missing, malformed or unknown.
 * @example
 * app.use(cookieParser(process.env.COOKIE_SECRET));
 * app.use(bitbucketRouter(auth, { clientId, clientSecret, redirectUri }));
 */
export function bitbucketRouter<_Auth extends Auth>(
  auth: _Auth,
  options: BitbucketRouterOptions<_Auth>,
): Router {
  if (!auth || typeof (auth as Partial<Auth>).createSession !== "function") {
    throw new TypeError(
      "bitbucketRouter: the first argument must be a Lucia 2 instance (the result of lucia({...})).",
    );
  }
  const resolved = resolveOptions(options);
  const provider = bitbucket(auth, resolved.provider);
  const stateCookie = createStateCookie(resolved);
  const fail = createFailureHandler(resolved);

  const router = Router();
  router.get(resolved.loginPath, createLoginHandler(provider, stateCookie, fail));
  router.get(resolved.callbackPath, createCallbackHandler(auth, provider, resolved, stateCookie, fail));
  if (resolved.logoutPath) router.post(resolved.logoutPath, createLogoutHandler(auth, resolved, fail));
  return router;
}
