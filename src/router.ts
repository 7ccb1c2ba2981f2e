import type { RequestHandler } from "express";
import type { Auth } from "lucia";
import type { AccessVerdict, Edition } from "./editions/edition.js";
import { createCallbackHandler } from "./routes/callback.js";
import type { BitbucketAuthError } from "./errors/errors.js";
import { createFailureHandler } from "./errors/failure.js";
import { createLinkHandler } from "./routes/link.js";
import { createLoginHandler } from "./routes/login.js";
import { createLogoutHandler } from "./routes/logout.js";
import { checkMount } from "./config/mount-check.js";
import type { BitbucketDataCenterRouterOptions, BitbucketRouterOptions } from "./config/options.js";
import type { BitbucketRouterOptionsFor } from "./config/options-for.js";
import type { BitbucketEdition, BitbucketsByEdition } from "./editions/select.js";
import type { ResolvedHooks, ResolvedOptions } from "./config/resolved.js";
import { resolveHooks } from "./config/resolve-hooks.js";
import { resolveOptions } from "./config/resolve-options.js";
import { noteRouterStore } from "./tokens/router-stores.js";
import { createStateCookie } from "./state/state-cookie.js";

/**
 * "Log in with Bitbucket" for an Express app that uses Lucia 2. Mounts `GET /login/bitbucket`,
 * `GET /login/bitbucket/callback` and `POST /login/bitbucket/link` (and, when `logoutPath` is set,
 * `POST <logoutPath>`); every other request passes on with `next()`. Mount `cookieParser(secret)` first, or pass `cookieSecret`.
 * Works on Express 4 and 5, at the root or under a prefix (`app.use("/auth", bitbucketRouter(...))`).
 *
 * With `serverUrl`, the same routes sign in with a Bitbucket Data Center instance instead of
 * Bitbucket Cloud (PKCE, the numeric user id, project and repository rules). Two routers, one per
 * edition, can be mounted side by side with one Lucia instance.
 *
 * @throws TypeError at construction when an option is missing, malformed, unknown, or of the other edition.
 * @example
 * app.use(cookieParser(process.env.COOKIE_SECRET));
 * app.use(bitbucketRouter(auth, { clientId, clientSecret, redirectUri }));
 * @example
 * app.use("/dc", bitbucketRouter(auth, { serverUrl: "https://git.acme.com/bitbucket", clientId, clientSecret,
 *   redirectUri: "https://app.acme.com/dc/login/bitbucket/callback", allow: { projects: ["ENG"] } }));
 */
// The first signature takes every edition's options, and the union hands each hook its edition's
// user; the two after it name Cloud's and Data Center's for the reference, and Cloud's, last, is
// the one `Parameters<typeof bitbucketRouter>` reads.
export function bitbucketRouter<_Auth extends Auth>(
  auth: _Auth,
  options: BitbucketRouterOptionsFor<BitbucketEdition, _Auth>,
): RequestHandler;
export function bitbucketRouter<_Auth extends Auth>(
  auth: _Auth,
  options: BitbucketDataCenterRouterOptions<_Auth>,
): RequestHandler;
export function bitbucketRouter<_Auth extends Auth>(
  auth: _Auth,
  options: BitbucketRouterOptions<_Auth>,
): RequestHandler;
export function bitbucketRouter<_Auth extends Auth>(
  auth: _Auth,
  options: BitbucketRouterOptionsFor<BitbucketEdition, _Auth>,
): RequestHandler {
  // `app.use(bitbucketRouter)` without the call: Express then calls it with (req, res, next).
  if (typeof (options as { setHeader?: unknown } | undefined)?.setHeader === "function") {
    throw new TypeError(
      "bitbucketRouter was mounted without being called: use app.use(bitbucketRouter(auth, options)), not app.use(bitbucketRouter).",
    );
  }
  if (!auth || typeof (auth as Partial<Auth>).createSession !== "function") {
    throw new TypeError(
      "bitbucketRouter: the first argument must be a Lucia 2 instance (the result of lucia({...})).",
    );
  }
  const resolved = resolveOptions(options);
  noteRouterStore(auth, resolved.grant, resolved.tokens);
  return mountEdition<_Auth, BitbucketEdition>(auth, resolved, resolved.selected.bitbucket, options);
}

/**
 * One edition's login and hooks, typed alike: the hooks take the user and access that its login
 * hands over. That `bitbucket` is the edition of these options is `select`'s rule (it picked it
 * from them); the compiler, called with the union, cannot tell.
 */
function mountEdition<_Auth extends Auth, E extends BitbucketEdition>(
  auth: _Auth,
  resolved: ResolvedOptions,
  bitbucket: BitbucketsByEdition[E],
  options: BitbucketRouterOptionsFor<E, _Auth>,
): RequestHandler {
  return mount(auth, resolved, bitbucket.login(auth, resolved.provider), resolveHooks(options));
}

/** The routes of one router, over its edition's login and hooks. */
function mount<_Auth extends Auth, BbUser, Access extends AccessVerdict>(
  auth: _Auth,
  resolved: ResolvedOptions,
  edition: Edition<_Auth, BbUser, Access>,
  hooks: ResolvedHooks<_Auth, BbUser, Access>,
): RequestHandler {
  const stateCookie = createStateCookie(resolved);
  const fail = createFailureHandler(resolved);

  // A few fixed routes: an exact lookup is all the matching they need, and it keeps the login
  // start close to a bare route's speed (see the README's benchmarks).
  // Keyed by path, then by method: no key string is built per request, and most of an app's
  // requests stop at the first lookup.
  const routes = new Map<string, Map<string, RequestHandler>>();
  const route = (method: string, path: string, handler: RequestHandler) =>
    routes.set(path, (routes.get(path) ?? new Map<string, RequestHandler>()).set(method, handler));
  route("GET", resolved.loginPath, createLoginHandler(edition, stateCookie, fail, resolved));
  route(
    "GET",
    resolved.callbackPath,
    createCallbackHandler(auth, edition, resolved, hooks, stateCookie, fail),
  );
  if (resolved.linkPath)
    route("POST", resolved.linkPath, createLinkHandler(auth, edition, resolved, stateCookie, fail));
  if (resolved.logoutPath) route("POST", resolved.logoutPath, createLogoutHandler(auth, resolved, fail));

  // Checked once, at the first request for one of the routes: afterwards a boolean is all it costs.
  let mountChecked = false;
  let mountError: BitbucketAuthError | null = null;
  return function bitbucketRouter(req, res, next) {
    // Read once: `req.path` is a getter that parses the URL on every read, on every request of the app.
    const full = req.path;
    const path = full.length > 1 && full.endsWith("/") ? full.slice(0, -1) : full;
    const handler = routes.get(path)?.get(req.method);
    if (!handler) return next();
    if (!mountChecked) {
      mountChecked = true;
      mountError = checkMount(req.baseUrl, resolved);
    }
    if (mountError) return fail(mountError, res, next);
    void handler(req, res, next);
  };
}
