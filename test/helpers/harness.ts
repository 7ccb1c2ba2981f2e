import express, { type ErrorRequestHandler } from "express";
import cookieParser from "cookie-parser";
import type { Adapter } from "lucia";
import request from "supertest";
import {
  bitbucketErrorHandler,
  bitbucketGrant,
  bitbucketRouter,
  type BitbucketRouterOptions,
} from "../../src/index.js";
import {
  routeBitbucketTo,
  startFakeBitbucket,
  type FakeBitbucket,
  type FakeBitbucketOptions,
} from "../../src/testing/index.js";
import { openDatabase, type AppDatabase } from "../../example-server/database.js";
import { createAuth, type AppAuth } from "../../example-server/lucia.js";
import { encodePending, stateCookieName, type PendingLogin } from "../../src/state/state-value.js";
import { resolveOptions } from "../../src/config/resolve-options.js";

/** The grant under which a Cloud router stores a user's tokens. */
export const GRANT = bitbucketGrant();
export const COOKIE_SECRET = "test-cookie-secret-0123456789";
export const REDIRECT_URI = "http://app.test/login/bitbucket/callback";
/** The state cookies' stem: each login's cookie is `bitbucket_oauth_state.<tag>`. */
export const STATE_COOKIE = "bitbucket_oauth_state";
/** `name=` at the start of a Set-Cookie line for the state cookie of any login. */
export const STATE_LINE = /^bitbucket_oauth_state\.[\w-]{10}=/;

/** The issuer tag of the harness's default router, which every state it signs carries. */
export const HARNESS_ISSUER = resolveOptions({
  clientId: "fake-client-id",
  clientSecret: "fake-client-secret",
  redirectUri: REDIRECT_URI,
}).stateIssuer;

/** A state cookie's value as the harness's default router writes it (unsigned). */
export const harnessPending = (pending: Omit<PendingLogin, "issuer">) =>
  encodePending({ ...pending, issuer: HARNESS_ISSUER });

/** The state cookie's name for the login whose callback carries `?state=state`. */
export const stateCookieFor = (state: string) => stateCookieName(STATE_COOKIE, HARNESS_ISSUER, state);

export type Agent = ReturnType<typeof request.agent>;
type RouterOptions = Partial<BitbucketRouterOptions<AppAuth>>;

export interface HarnessOptions {
  readonly router?: RouterOptions;
  readonly fake?: FakeBitbucketOptions;
  /** The app's cookieParser secret(s); `null` mounts cookieParser without one. Default COOKIE_SECRET. */
  readonly cookieSecret?: string | string[] | null;
  readonly databaseUrl?: string;
  /** The prefix the router is mounted under, `app.use(mount, router)`. Default: the root. */
  readonly mount?: string;
  /** Runs before the router, e.g. to add middleware. */
  readonly beforeRouter?: (app: express.Express) => void;
  /** Runs after the router and before the app's routes, e.g. to mount bitbucketAccessGuard. */
  readonly afterRouter?: (app: express.Express, auth: AppAuth) => void;
  /** Wraps the real database adapter, e.g. to let another writer in between two of Lucia's steps. */
  readonly adapter?: (real: Adapter) => Adapter;
}

/** A real Express app with a real Lucia on real SQLite (or PostgreSQL), and a real fake Bitbucket on loopback. */
export interface Harness {
  readonly app: express.Express;
  readonly auth: AppAuth;
  readonly db: AppDatabase;
  readonly fake: FakeBitbucket;
  /** Every error that reached the app's error handlers, in order. */
  readonly errors: unknown[];
  agent(): Agent;
  close(): Promise<void>;
}

export async function startHarness(options: HarnessOptions = {}): Promise<Harness> {
  // The consumer registers the router's redirectUri, as on Bitbucket, unless the test brings its own.
  const callbackUrl = options.router?.redirectUri ?? REDIRECT_URI;
  const fake = await startFakeBitbucket(
    options.fake?.clients ? options.fake : { callbackUrl, ...options.fake },
  );
  const unroute = routeBitbucketTo(fake.url);
  const db = await openDatabase({ databaseUrl: options.databaseUrl }).catch(async (err: unknown) => {
    unroute();
    await fake.close();
    throw err;
  });
  const wrap = options.adapter;
  const auth = createAuth(wrap ? (E) => wrap(db.adapter(E)) : db.adapter, "DEV");
  let app: express.Express;
  const errors: unknown[] = [];
  try {
    app = buildApp(auth, options, errors);
  } catch (err) {
    // A harness that cannot start leaves nothing running, and its own error is the one reported.
    unroute();
    await fake.close();
    await db.close();
    throw err;
  }
  return {
    app,
    auth,
    db,
    fake,
    errors,
    agent: () => request.agent(app),
    close: async () => {
      unroute();
      await fake.close();
      await db.close();
    },
  };
}

export function buildApp(
  auth: AppAuth,
  options: HarnessOptions = {},
  errors: unknown[] = [],
): express.Express {
  const app = express();
  const secret = options.cookieSecret === undefined ? COOKIE_SECRET : options.cookieSecret;
  app.use(secret === null ? cookieParser() : cookieParser(secret));
  options.beforeRouter?.(app);
  const router = bitbucketRouter(auth, {
    clientId: "fake-client-id",
    clientSecret: "fake-client-secret",
    redirectUri: REDIRECT_URI,
    ...options.router,
  });
  if (options.mount) app.use(options.mount, router);
  else app.use(router);
  options.afterRouter?.(app, auth);
  app.get("/me", async (req, res) => {
    const session = await auth.handleRequest(req, res).validate();
    if (!session) return void res.status(401).json({ error: "UNAUTHENTICATED" });
    res.json({
      userId: session.user.userId,
      displayName: session.user.displayName,
      sessionId: session.sessionId,
    });
  });
  const record: ErrorRequestHandler = (err, _req, _res, next) => {
    errors.push(err);
    next(err);
  };
  app.use(record);
  app.use(bitbucketErrorHandler());
  const lastResort: ErrorRequestHandler = (_err, _req, res, _next) =>
    void res.status(500).json({ error: "INTERNAL" });
  app.use(lastResort);
  return app;
}

/** The last `Set-Cookie` line for one cookie name (for STATE_COOKIE: any login's), or undefined. */
export function setCookie(res: { headers: Record<string, unknown> }, name: string): string | undefined {
  return setCookies(res, name).at(-1);
}

/** Every `Set-Cookie` line for one cookie name (for STATE_COOKIE: any login's). */
export function setCookies(res: { headers: Record<string, unknown> }, name: string): string[] {
  const lines = (res.headers["set-cookie"] as string[] | undefined) ?? [];
  return lines.filter(
    (line) => line.startsWith(`${name}=`) || (name === STATE_COOKIE && STATE_LINE.test(line)),
  );
}

/** Step 1: start the login; returns the response and the Bitbucket authorize URL. */
export async function beginLogin(agent: Agent, query = "") {
  const res = await agent.get(`/login/bitbucket${query}`);
  return { res, authorizeUrl: res.headers.location as string };
}

/** Step 2: the fake Bitbucket approves (or denies); returns the callback path with its query. */
export async function approveAtFake(authorizeUrl: string): Promise<string> {
  const res = await fetch(authorizeUrl, { redirect: "manual" });
  const location = res.headers.get("location");
  if (res.status !== 302 || !location) throw new Error(`fake authorize answered ${res.status}`);
  const url = new URL(location);
  return url.pathname + url.search;
}

/** A link start (POST linkPath) under the agent's session; returns the response and the authorize URL. */
export async function beginLink(agent: Agent, headers: Record<string, string> = {}) {
  const res = await agent.post("/login/bitbucket/link").set(headers);
  return { res, authorizeUrl: res.headers.location as string | undefined };
}

/** A whole link flow: POST linkPath, approve at the fake, back to the callback. */
export async function link(agent: Agent) {
  const { res, authorizeUrl } = await beginLink(agent);
  if (res.status !== 303 || !authorizeUrl)
    throw new Error(`link start answered ${res.status}: ${JSON.stringify(res.body)}`);
  return agent.get(await approveAtFake(authorizeUrl));
}

/** Steps 1 and 2: a started and approved login; returns the callback path, ready to be called. */
export async function approvedCallback(agent: Agent, query = ""): Promise<string> {
  return approveAtFake((await beginLogin(agent, query)).authorizeUrl);
}

/** A whole login through the real routes, the fake and back; returns the callback response. */
export async function login(agent: Agent, query = "") {
  return agent.get(await approvedCallback(agent, query));
}
