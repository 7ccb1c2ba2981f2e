import { expect } from "@jest/globals";
import express, { type ErrorRequestHandler } from "express";
import cookieParser from "cookie-parser";
import request from "supertest";
import {
  bitbucketErrorHandler,
  bitbucketGrant,
  bitbucketRouter,
  type BitbucketDataCenterRouterOptions,
  type BitbucketRouterOptions,
} from "../../src/index.js";
import {
  DEFAULT_FAKE_DATACENTER_CLIENT,
  startFakeDataCenter,
  type FakeDataCenter,
  type FakeDataCenterOptions,
} from "../../src/testing/index.js";
import { openDatabase, type AppDatabase } from "../../example-server/database.js";
import { createAuth, type AppAuth } from "../../example-server/lucia.js";
import { COOKIE_SECRET, type Agent } from "./harness.js";

/** The grant under which a Data Center router of the default provider id stores tokens. */
export const dcGrant = (serverUrl: string) => bitbucketGrant({ serverUrl });

/** The Data Center router's callback on the test app: mounted at the root unless `mount` says. */
export const DC_REDIRECT_URI = "http://app.test/login/bitbucket/callback";

export interface DataCenterHarness {
  readonly app: express.Express;
  readonly auth: AppAuth;
  readonly db: AppDatabase;
  readonly dc: FakeDataCenter;
  readonly errors: unknown[];
  agent(): Agent;
  close(): Promise<void>;
}

type DcOptions = Partial<BitbucketDataCenterRouterOptions<AppAuth>>;

/**
 * A real Express app with Lucia on real SQLite, a Data Center router (at `mount`, default the root)
 * against a real fake Data Center on loopback under `/bitbucket`, and optionally a Cloud router
 * beside it.
 */
export async function startDataCenterHarness(
  options: {
    readonly router?: DcOptions;
    readonly fake?: FakeDataCenterOptions;
    readonly mount?: string;
    readonly cloud?: { readonly mount: string; readonly router?: Partial<BitbucketRouterOptions<AppAuth>> };
    readonly afterRouter?: (app: express.Express, auth: AppAuth, dc: FakeDataCenter) => void;
  } = {},
): Promise<DataCenterHarness> {
  const mount = options.mount ?? "";
  // The link registers the router's redirectUri, as on a real instance, unless the test brings its own.
  const redirectUri = options.router?.redirectUri ?? `http://app.test${mount}/login/bitbucket/callback`;
  const dc = await startFakeDataCenter(
    options.fake?.clients ? options.fake : { redirectUris: [redirectUri], ...options.fake },
  );
  const db = await openDatabase({});
  const auth = createAuth(db.adapter, "DEV");
  const errors: unknown[] = [];
  const app = express();
  app.use(cookieParser(COOKIE_SECRET));
  const router = bitbucketRouter(auth, {
    serverUrl: dc.url,
    ...DEFAULT_FAKE_DATACENTER_CLIENT,
    redirectUri,
    getUserAttributes: (user) => ({ display_name: user.displayName, avatar_url: null, email: null }),
    ...options.router,
  });
  if (mount) app.use(mount, router);
  else app.use(router);
  if (options.cloud) {
    app.use(
      options.cloud.mount,
      bitbucketRouter(auth, {
        ...DEFAULT_FAKE_DATACENTER_CLIENT,
        redirectUri: `http://app.test${options.cloud.mount}/login/bitbucket/callback`,
        ...options.cloud.router,
      }),
    );
  }
  options.afterRouter?.(app, auth, dc);
  app.get("/me", async (req, res) => {
    const session = await auth.handleRequest(req, res).validate();
    if (!session) return void res.status(401).json({ error: "UNAUTHENTICATED" });
    res.json({ userId: session.user.userId, displayName: session.user.displayName });
  });
  const record: ErrorRequestHandler = (err, _req, _res, next) => {
    errors.push(err);
    next(err);
  };
  app.use(record);
  app.use(bitbucketErrorHandler());
  return {
    app,
    auth,
    db,
    dc,
    errors,
    agent: () => request.agent(app),
    close: async () => {
      await dc.close();
      await db.close();
    },
  };
}

/** The fake Data Center's authorize step: its 303 back to the app, as a path with its query. */
export async function approveAtDataCenter(authorizeUrl: string): Promise<string> {
  const res = await fetch(authorizeUrl, { redirect: "manual" });
  const location = res.headers.get("location");
  if (res.status !== 303 || !location) throw new Error(`fake Data Center authorize answered ${res.status}`);
  const url = new URL(location);
  return url.pathname + url.search;
}

/** A whole Data Center login through the real routes: start, authorize at the fake, callback. */
export async function dcLogin(agent: Agent, prefix = "") {
  const start = await agent.get(`${prefix}/login/bitbucket`);
  if (start.status !== 302) throw new Error(`login start answered ${start.status}`);
  return agent.get(await approveAtDataCenter(start.headers.location as string));
}

/**
 * Every Data Center suite's after-each: no request of the test ever left the instance's context
 * path (the field's first mistake), then everything is closed.
 */
export async function closeDataCenterHarness(h: DataCenterHarness | undefined): Promise<void> {
  if (!h) return;
  expect(h.dc.requests.filter((r) => !r.url.startsWith("/bitbucket/"))).toEqual([]);
  await h.close();
}
