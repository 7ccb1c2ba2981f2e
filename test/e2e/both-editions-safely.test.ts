// Cloud and Data Center (or two Data Center instances) in one app, as safe as one: each reproduces a
// red-team finding of 2026-12 under its old conditions and shows that it holds now. One token row
// per user and Bitbucket, a check trusted only for its own rules and clock, Bearer sessions
// guarded, the Data Center lookup on a big instance, `;` in API paths, capped bodies, and state
// cookies counted per router. Rows in docs/security.md name these tests.
import { createServer, type Server } from "node:http";
import type { AddressInfo, Socket } from "node:net";
import { afterEach, describe, expect, it } from "@jest/globals";
import cookieParser from "cookie-parser";
import express, { type ErrorRequestHandler } from "express";
import request from "supertest";
import Database from "better-sqlite3";
import {
  bitbucketAccessGuard,
  bitbucketErrorHandler,
  bitbucketGrant,
  bitbucketRouter,
  checkBitbucketAccess,
  createTokenSealer,
  memoryTokenStore,
  sqliteTokenStore,
  type BitbucketStoredTokens,
  type BitbucketTokenStore,
} from "../../src/index.js";
import {
  DEFAULT_FAKE_DATACENTER_CLIENT,
  DEFAULT_FAKE_DATACENTER_USERS,
  fakeDataCenterDirectory,
  routeBitbucketTo,
  startFakeBitbucket,
  startFakeDataCenter,
  type FakeBitbucket,
  type FakeDataCenter,
} from "../../src/testing/index.js";
import { createFetchBitbucket } from "../../src/editions/cloud/bitbucket-api.js";
import { createDataCenterFetch } from "../../src/editions/datacenter/api.js";
import { createDeadline, MAX_BODY_BYTES, readBody } from "../../src/http/upstream.js";
import { openDatabase, type AppDatabase } from "../../example-server/database.js";
import { createAuth, type AppAuth } from "../../example-server/lucia.js";
import { loadConfig } from "../../example-server/config.js";
import {
  approveAtFake,
  COOKIE_SECRET,
  GRANT,
  login,
  startHarness,
  type Harness,
} from "../helpers/harness.js";
import { approveAtDataCenter, dcGrant, dcLogin, startDataCenterHarness } from "../helpers/datacenter.js";
import { ACCESS_FAKE, ADA, OLGA, STORED_TOKENS, TOKEN_KEYS } from "../helpers/access-fixtures.js";

const CLIENT = DEFAULT_FAKE_DATACENTER_CLIENT; // fake-client-id / fake-client-secret, known to both fakes
const CLOUD_ALLOW = { workspaces: ["fake-team"] };
const DC_ALLOW = { projects: ["ENG"] };

const cleanups: (() => unknown)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

/** A running resource, closed after the test. */
function later<T>(value: T, close: (v: T) => unknown): T {
  cleanups.push(() => close(value));
  return value;
}

interface Mixed {
  readonly app: express.Express;
  readonly auth: AppAuth;
  readonly db: AppDatabase;
  readonly tokens: BitbucketTokenStore;
  readonly errors: unknown[];
}

/**
 * One app with several routers (each under its prefix) and their guards in `order`, on one Lucia,
 * one database and one sealed token store. The guards keep their checks for `interval`, a minute
 * unless told: a check is then due only when a test makes it so.
 */
async function mixedApp(
  parts: readonly {
    readonly mount: string;
    readonly dc?: FakeDataCenter;
    readonly providerId?: string;
    readonly guard: boolean;
  }[],
  interval = 60_000,
): Promise<Mixed> {
  const db = later(await openDatabase({}), (d) => d.close());
  const auth = createAuth(db.adapter, "DEV");
  const tokens = db.tokens;
  const errors: unknown[] = [];
  const app = express();
  app.use(cookieParser(COOKIE_SECRET));
  for (const { mount, dc, providerId } of parts) {
    const redirectUri = `http://app.test${mount}/login/bitbucket/callback`;
    app.use(
      mount,
      dc
        ? bitbucketRouter(auth, {
            ...CLIENT,
            redirectUri,
            serverUrl: dc.url,
            ...(providerId ? { providerId } : {}),
            allow: DC_ALLOW,
            tokens,
            getUserAttributes: (u) => ({ display_name: u.displayName, avatar_url: null, email: null }),
          })
        : bitbucketRouter(auth, { ...CLIENT, redirectUri, allow: CLOUD_ALLOW, tokens }),
    );
  }
  for (const { dc, providerId, guard } of parts) {
    if (!guard) continue;
    const common = { ...CLIENT, tokens, interval };
    app.use(
      dc
        ? bitbucketAccessGuard(auth, {
            ...common,
            serverUrl: dc.url,
            ...(providerId ? { providerId } : {}),
            allow: DC_ALLOW,
          })
        : bitbucketAccessGuard(auth, { ...common, allow: CLOUD_ALLOW }),
    );
  }
  app.get("/me", async (req, res) => {
    const session = await auth.handleRequest(req, res).validate();
    if (!session) return void res.status(401).json({ error: "UNAUTHENTICATED" });
    res.json({ userId: session.user.userId, sessionId: session.sessionId });
  });
  const record: ErrorRequestHandler = (err, _req, _res, next) => void (errors.push(err), next(err));
  app.use(record);
  app.use(bitbucketErrorHandler());
  return { app, auth, db, tokens, errors };
}

async function cloudFake(): Promise<FakeBitbucket> {
  // Bitbucket takes a prefix of the consumer's callback URL: one consumer for every mount here.
  const fake = later(await startFakeBitbucket({ callbackUrl: "http://app.test/" }), (f) => f.close());
  later(routeBitbucketTo(fake.url), (unroute) => unroute());
  return fake;
}

/** A link registers its redirect URIs exactly: those of the mounts this file's apps use. */
const DC_REDIRECTS = ["", "/dc", "/one", "/two"].map((m) => `http://app.test${m}/login/bitbucket/callback`);
const dataCenterFake = async (options?: Parameters<typeof startFakeDataCenter>[0]) =>
  later(await startFakeDataCenter({ redirectUris: DC_REDIRECTS, ...options }), (f) => f.close());

type Agent = ReturnType<typeof request.agent>;

async function cloudLogin(agent: Agent, fake: FakeBitbucket, mount: string) {
  const start = await agent.get(`${mount}/login/bitbucket`);
  const location = (start.headers.location as string).replace("https://bitbucket.org", fake.url);
  return agent.get(await approveAtFake(location));
}

async function linkDataCenter(agent: Agent, mount: string) {
  const start = await agent.post(`${mount}/login/bitbucket/link`).set("Origin", "http://app.test");
  expect(start.status).toBe(303);
  return agent.get(await approveAtDataCenter(start.headers.location as string));
}

/** Every grant's check of this user is due: its `checkedAt` is set to 0. */
async function makeDue(tokens: BitbucketTokenStore, userId: string, grants: readonly string[]) {
  for (const grant of grants) {
    const row = await tokens.get(userId, grant);
    if (!row) throw new Error(`no row for ${grant}`);
    await tokens.save(userId, grant, { ...row, checkedAt: 0 });
  }
}

const projectChecks = (dc: FakeDataCenter) =>
  dc.requests.filter((r) => r.url.startsWith("/bitbucket/rest/api/latest/projects")).length;

describe("finding 1: one token row per user and Bitbucket (access-guard.ts, token-store.ts, sql-token-stores.ts)", () => {
  describe.each<[string, readonly ("cloud" | "dc")[]]>([
    ["the Cloud guard first", ["cloud", "dc"]],
    ["the Data Center guard first", ["dc", "cloud"]],
  ])("Cloud and Data Center in one app, %s", (_name, order) => {
    async function linkedToBoth(interval?: number) {
      const cloud = await cloudFake();
      const dc = await dataCenterFake();
      const byName = { cloud: { mount: "/cloud", guard: true }, dc: { mount: "/dc", dc, guard: true } };
      const mixed = await mixedApp(
        order.map((n) => byName[n]),
        interval,
      );
      const agent = request.agent(mixed.app);
      expect((await cloudLogin(agent, cloud, "/cloud")).status).toBe(302);
      expect((await linkDataCenter(agent, "/dc")).status).toBe(302);
      // Read from the database: a request would let the guards remember their checks in memory.
      const userId = (await mixed.auth.getKey("bitbucket", ADA.uuid)).userId;
      const grants = [GRANT, bitbucketGrant({ serverUrl: dc.url })];
      return { cloud, dc, mixed, agent, userId, grants };
    }

    it("keeps a row for each, sealed apart: each opens only under its own grant", async () => {
      const { mixed, userId, grants } = await linkedToBoth();
      const [cloudRow, dcRow] = await Promise.all(grants.map((g) => mixed.tokens.get(userId, g)));
      expect(cloudRow?.accessToken).toBeTruthy();
      expect(dcRow?.accessToken).toBeTruthy();
      expect(cloudRow?.accessToken).not.toBe(dcRow?.accessToken);
      expect(cloudRow?.checkedRules).not.toBe(dcRow?.checkedRules);
    });

    it("a user whom Data Center removed is signed out, though Cloud still allows them", async () => {
      const { dc, mixed, agent, userId, grants } = await linkedToBoth();
      await makeDue(mixed.tokens, userId, grants);
      dc.setPermission("ada", "ENG", null);
      const before = projectChecks(dc);
      const res = await agent.get("/me");
      expect({ status: res.status, error: res.body.error }).toEqual({ status: 401, error: "ACCESS_REVOKED" });
      expect(projectChecks(dc) - before).toBeGreaterThan(0);
      expect((await mixed.db.counts()).sessions).toBe(0);
      // Only Data Center's row is removed: Cloud's grant still stands for a later Cloud login.
      expect(await mixed.tokens.get(userId, grants[1] ?? "")).toBeNull();
      expect(await mixed.tokens.get(userId, grants[0] ?? "")).not.toBeNull();
    });

    it("a user whom Cloud removed is signed out, though Data Center still allows them", async () => {
      const { cloud, mixed, agent, userId, grants } = await linkedToBoth();
      await makeDue(mixed.tokens, userId, grants);
      cloud.setWorkspaceRole("ada", "fake-team", null);
      const res = await agent.get("/me");
      expect({ status: res.status, error: res.body.error }).toEqual({ status: 401, error: "ACCESS_REVOKED" });
    });

    it("a user whom both still allow stays, each guard checking with its own tokens", async () => {
      // Every request re-checks both: each guard must read its own row, never the other's save.
      const { cloud, dc, mixed, agent } = await linkedToBoth(0);
      for (let round = 0; round < 3; round++) {
        const [permission, projects] = [cloud.hits.permission, projectChecks(dc)];
        expect((await agent.get("/me")).status).toBe(200);
        expect(cloud.hits.permission - permission).toBe(1);
        expect(projectChecks(dc) - projects).toBe(1);
      }
      expect(mixed.errors).toEqual([]);
    });
  });

  it("a user who never signed in through Data Center is not the Data Center guard's to check", async () => {
    const cloud = await cloudFake();
    const dc = await dataCenterFake();
    const mixed = await mixedApp([
      { mount: "/dc", dc, guard: true },
      { mount: "/cloud", guard: true },
    ]);
    const agent = request.agent(mixed.app);
    expect((await cloudLogin(agent, cloud, "/cloud")).status).toBe(302);
    for (let i = 0; i < 3; i++) expect((await agent.get("/me")).status).toBe(200);
    expect(projectChecks(dc)).toBe(0);
  });

  it("two Data Center instances in one app: removed from the second, signed out", async () => {
    const one = await dataCenterFake();
    const two = await dataCenterFake();
    const mixed = await mixedApp(
      [
        { mount: "/one", dc: one, providerId: "dc-one", guard: true },
        { mount: "/two", dc: two, providerId: "dc-two", guard: true },
      ],
      0,
    );
    const agent = request.agent(mixed.app);
    expect((await dcLogin(agent, "/one")).status).toBe(302);
    expect((await linkDataCenter(agent, "/two")).status).toBe(302);
    const userId = (await mixed.auth.getKey("dc-one", "101")).userId;
    const grants = [
      bitbucketGrant({ serverUrl: one.url, providerId: "dc-one" }),
      bitbucketGrant({ serverUrl: two.url, providerId: "dc-two" }),
    ];
    const asked = [projectChecks(one), projectChecks(two)];
    expect((await agent.get("/me")).status).toBe(200);
    // Each instance's row holds its own tokens, and each guard asked its own instance.
    const [a, b] = await Promise.all(grants.map((g) => mixed.tokens.get(userId, g)));
    expect(a?.accessToken).not.toBe(b?.accessToken);
    expect([projectChecks(one) - (asked[0] ?? 0), projectChecks(two) - (asked[1] ?? 0)]).toEqual([1, 1]);
    two.setPermission("ada", "ENG", null);
    const res = await agent.get("/me");
    expect({ status: res.status, error: res.body.error }).toEqual({ status: 401, error: "ACCESS_REVOKED" });
    expect(projectChecks(two)).toBeGreaterThan(0);
  });

  it("a sealed row does not open under another grant or user, nor in another table", async () => {
    const db = new Database(":memory:");
    later(db, (d) => d.close());
    const keys = ["one-sealing-key-of-at-least-32-chars!"];
    const first = sqliteTokenStore(db, { keys, table: "tokens_one" });
    const second = sqliteTokenStore(db, { keys, table: "tokens_two" });
    const [a, b] = ["bitbucket-datacenter@https://a.test", "bitbucket-datacenter@https://b.test"];
    await first.save("u1", a, TOKENS);
    expect(await first.get("u1", a)).toEqual(TOKENS);
    expect(await first.get("u1", b)).toBeNull();
    // The row moved onto the other grant, or copied to the other instance's table under its grant.
    db.prepare("INSERT INTO tokens_two SELECT user_id, ?, sealed, updated_at FROM tokens_one").run(b);
    expect(await second.get("u1", b)).toBeNull();
    db.prepare("UPDATE tokens_one SET grant_key = ?").run(b);
    expect(await first.get("u1", b)).toBeNull();
    db.prepare("UPDATE tokens_one SET grant_key = ?, user_id = 'u2'").run(a);
    expect(await first.get("u2", a)).toBeNull();
  });

  it("replaces a table of the earlier shape (one row per user), dropping rows no grant can be told for", async () => {
    const db = new Database(":memory:");
    later(db, (d) => d.close());
    db.exec(
      "CREATE TABLE bitbucket_token (user_id TEXT NOT NULL PRIMARY KEY, sealed TEXT NOT NULL, updated_at INTEGER NOT NULL)",
    );
    db.prepare("INSERT INTO bitbucket_token VALUES ('u1', 'v1.x.y', 1)").run();
    const store = sqliteTokenStore(db, { keys: KEYS });
    const columns = db.prepare("SELECT name FROM pragma_table_info('bitbucket_token')").all();
    expect(columns.map((c) => (c as { name: string }).name)).toEqual([
      "user_id",
      "grant_key",
      "sealed",
      "updated_at",
    ]);
    expect(db.prepare("SELECT COUNT(*) AS n FROM bitbucket_token").get()).toEqual({ n: 0 });
    expect(await store.get("u1", GRANT)).toBeNull();
    await store.save("u1", GRANT, TOKENS);
    expect(await store.get("u1", GRANT)).toEqual(TOKENS);
    // Opening it again keeps what is there: only the earlier shape is replaced.
    expect(await sqliteTokenStore(db, { keys: KEYS }).get("u1", GRANT)).toEqual(TOKENS);
  });

  it("refuses a store of the earlier shape at start, in the router and in the guard", async () => {
    const legacy = {
      get: async (_userId: string) => null,
      save: async (_userId: string, _tokens: BitbucketStoredTokens) => undefined,
      remove: async (_userId: string) => undefined,
    } as unknown as BitbucketTokenStore;
    const auth = createAuth((await later(await openDatabase({}), (d) => d.close())).adapter, "DEV");
    const said =
      /option "tokens": its save\(\) takes \(userId, tokens\), the earlier one-row-per-user shape; it now takes \(userId, grant, tokens\), and get\(\) and remove\(\) take \(userId, grant\): key each row on the user id and the grant\./;
    expect(() =>
      bitbucketRouter(auth, {
        ...CLIENT,
        redirectUri: "http://app.test/login/bitbucket/callback",
        tokens: legacy,
      }),
    ).toThrow(said);
    expect(() => bitbucketAccessGuard(auth, { ...CLIENT, allow: CLOUD_ALLOW, tokens: legacy })).toThrow(said);
  });
});

const KEYS = TOKEN_KEYS;
const TOKENS = STORED_TOKENS;

/** A Cloud app whose router and guard share `tokens`, with `/api/me` reading Bearer sessions. */
async function guardedCloud(
  guard: { interval: number; timeout?: number },
  tokens: BitbucketTokenStore = memoryTokenStore(),
) {
  const h = later(
    await startHarness({
      fake: ACCESS_FAKE,
      router: { allow: CLOUD_ALLOW, tokens },
      afterRouter: (app, auth) => {
        app.use(bitbucketAccessGuard(auth, { ...CLIENT, allow: CLOUD_ALLOW, tokens, ...guard }));
        app.get("/api/me", async (req, res) => {
          const session = await auth.handleRequest(req, res).validateBearerToken();
          if (!session) return void res.status(401).json({ error: "UNAUTHENTICATED" });
          res.json({ userId: session.user.userId });
        });
      },
    }),
    (x) => x.close(),
  );
  return { h, tokens };
}

/** A whole login as `who`; the ids come from the answer and the database, not through the guard. */
async function signIn(h: Harness, who = "ada") {
  h.fake.setDefaultUser(who);
  const agent = h.agent();
  const res = await login(agent);
  expect(res.status).toBe(302);
  const line = ((res.headers["set-cookie"] as unknown as string[]) ?? []).find((l) =>
    l.startsWith("auth_session="),
  );
  const sessionId = (line ?? "").split(";")[0]?.slice("auth_session=".length) ?? "";
  const { userId } = (await h.auth.getSession(sessionId)).user;
  return { agent, userId, sessionId };
}

describe("finding 2: a check stamped in the future is not trusted (access-guard.ts)", () => {
  it("with a clock 8 s ahead and an interval of 1 s, the removed user is signed out at once", async () => {
    const { h, tokens } = await guardedCloud({ interval: 1000 });
    const { agent, userId } = await signIn(h);
    const row = await tokens.get(userId, GRANT);
    // Another instance, 8 s ahead, checked just now by its clock.
    await tokens.save(userId, GRANT, { ...(row as BitbucketStoredTokens), checkedAt: Date.now() + 8000 });
    h.fake.setWorkspaceRole("ada", "fake-team", null);
    const res = await agent.get("/me");
    expect({ status: res.status, error: res.body.error }).toEqual({ status: 401, error: "ACCESS_REVOKED" });
  });

  it("trusts a check up to half an interval ahead (at most a second): no Bitbucket call", async () => {
    const { h, tokens } = await guardedCloud({ interval: 60_000 });
    const { agent, userId } = await signIn(h);
    const row = (await tokens.get(userId, GRANT)) as BitbucketStoredTokens;
    await tokens.save(userId, GRANT, { ...row, checkedAt: Date.now() + 900 });
    const before = h.fake.hits.permission;
    expect((await agent.get("/me")).status).toBe(200);
    expect(h.fake.hits.permission).toBe(before);
  });

  it("with an interval of a minute, does not trust a check 5 s ahead: the skew is at most a second", async () => {
    const { h, tokens } = await guardedCloud({ interval: 60_000 });
    const { agent, userId } = await signIn(h);
    const row = (await tokens.get(userId, GRANT)) as BitbucketStoredTokens;
    await tokens.save(userId, GRANT, { ...row, checkedAt: Date.now() + 5000 });
    const before = h.fake.hits.permission;
    expect((await agent.get("/me")).status).toBe(200);
    expect(h.fake.hits.permission - before).toBe(1);
  });

  it("with an interval of 1 s, does not trust a check 950 ms ahead: the skew is at most half the interval", async () => {
    const { h, tokens } = await guardedCloud({ interval: 1000 });
    const { agent, userId } = await signIn(h);
    const row = (await tokens.get(userId, GRANT)) as BitbucketStoredTokens;
    await tokens.save(userId, GRANT, { ...row, checkedAt: Date.now() + 950 });
    const before = h.fake.hits.permission;
    expect((await agent.get("/me")).status).toBe(200);
    expect(h.fake.hits.permission - before).toBe(1);
  });

  it("does not trust a check made for other rules, however fresh", async () => {
    const { h, tokens } = await guardedCloud({ interval: 60_000 });
    const { agent, userId } = await signIn(h);
    const row = (await tokens.get(userId, GRANT)) as BitbucketStoredTokens;
    expect(row.checkedAt).toBeGreaterThan(0);
    await tokens.save(userId, GRANT, { ...row, checkedRules: "another guard's rules" });
    const before = h.fake.hits.permission;
    expect((await agent.get("/me")).status).toBe(200);
    expect(h.fake.hits.permission - before).toBe(1);
    expect((await tokens.get(userId, GRANT))?.checkedRules).toBe(row.checkedRules);
  });
});

describe("finding 3: Bearer sessions are guarded too (access-guard.ts)", () => {
  it("five Bearer requests after removal: the first is refused and the session ended", async () => {
    const { h } = await guardedCloud({ interval: 0 });
    const { sessionId } = await signIn(h);
    const bearer = () => request(h.app).get("/api/me").set("Authorization", `Bearer ${sessionId}`);
    expect((await bearer()).status).toBe(200);
    h.fake.setWorkspaceRole("ada", "fake-team", null);
    const first = await bearer();
    expect({ status: first.status, error: first.body.error }).toEqual({
      status: 401,
      error: "ACCESS_REVOKED",
    });
    // No session cookie was sent, so none is cleared.
    expect(first.headers["set-cookie"]).toBeUndefined();
    for (let i = 0; i < 4; i++) expect((await bearer()).status).toBe(401);
    expect((await h.db.counts()).sessions).toBe(0);
  });

  it("a good cookie does not carry a removed user's Bearer session through", async () => {
    const { h } = await guardedCloud({ interval: 0 });
    const olga = await signIn(h, OLGA.nickname);
    const ada = await signIn(h, "ada");
    h.fake.setWorkspaceRole("ada", "fake-team", null);
    const res = await request(h.app)
      .get("/api/me")
      .set("Cookie", `auth_session=${olga.sessionId}`)
      .set("Authorization", `Bearer ${ada.sessionId}`);
    expect({ status: res.status, error: res.body.error }).toEqual({ status: 401, error: "ACCESS_REVOKED" });
    // Olga's own session stays.
    expect((await olga.agent.get("/me")).status).toBe(200);
  });
});

describe("the guard's token-store calls end by its timeout (access-guard.ts)", () => {
  function hangingStore() {
    const real = memoryTokenStore();
    const hang = { get: false, remove: false };
    const waiting: (() => void)[] = [];
    const stall = () =>
      new Promise<never>((_, reject) => void waiting.push(() => reject(new Error("closed"))));
    later(waiting, (w) => w.forEach((release) => release()));
    const tokens: BitbucketTokenStore = {
      get: (id, grant) => (hang.get ? stall() : real.get(id, grant)),
      save: (id, grant, t) => real.save(id, grant, t),
      remove: (id, grant) => (hang.remove ? stall() : real.remove(id, grant)),
    };
    return { tokens, hang };
  }

  it("a hung read answers TOKEN_STORE_FAILED by the timeout, and keeps the session", async () => {
    const { tokens, hang } = hangingStore();
    const { h } = await guardedCloud({ interval: 0, timeout: 1000 }, tokens);
    const { agent } = await signIn(h);
    hang.get = true;
    const res = await agent.get("/me");
    expect(res.body).toEqual({
      error: "TOKEN_STORE_FAILED",
      message: "The token store did not answer within 1000 ms.",
    });
    expect(res.status).toBe(500);
    expect((await h.db.counts()).sessions).toBe(1);
  });

  it("a hung removal after a refusal answers TOKEN_STORE_FAILED; the sessions are already ended", async () => {
    const { tokens, hang } = hangingStore();
    const { h } = await guardedCloud({ interval: 0, timeout: 1000 }, tokens);
    const { agent } = await signIn(h);
    hang.remove = true;
    h.fake.setWorkspaceRole("ada", "fake-team", null);
    const res = await agent.get("/me");
    expect({ status: res.status, error: res.body.error }).toEqual({
      status: 500,
      error: "TOKEN_STORE_FAILED",
    });
    expect((await h.db.counts()).sessions).toBe(0);
  });
});

describe("finding 4: the Data Center user lookup on an instance of 5,000 look-alikes (identity.ts)", () => {
  // 5,000 accounts whose name, display name and email all hold "ada", listed before Ada herself.
  const lookalikes = fakeDataCenterDirectory({ count: 5000, like: "ada" });

  async function bigInstance() {
    const tokens = memoryTokenStore();
    const h = later(
      await startDataCenterHarness({
        router: { tokens },
        fake: { users: [...lookalikes, ...DEFAULT_FAKE_DATACENTER_USERS] },
      }),
      (x) => x.close(),
    );
    return { h, tokens };
  }

  it("Ada signs in with one lookup by name, where the filter lists her past its ten pages", async () => {
    const { h, tokens } = await bigInstance();
    h.dc.approveAs("ada");
    const agent = h.agent();
    expect((await dcLogin(agent)).status).toBe(302);
    expect(h.dc.requests.filter((r) => r.url.includes("/users")).map((r) => r.url)).toEqual([
      "/bitbucket/rest/api/latest/users/ada",
    ]);
    // The old condition: the ten pages of 100 that the filter gives first hold only look-alikes.
    const userId = (await agent.get("/me")).body.userId as string;
    const token = (await tokens.get(userId, dcGrant(h.dc.url)))?.accessToken ?? "";
    const names: string[] = [];
    for (let start = 0; start < 1000; start += 100) {
      const page = await fetch(`${h.dc.url}/rest/api/latest/users?filter=ada&start=${start}&limit=100`, {
        headers: { Authorization: `Bearer ${token}` },
      });
      names.push(...((await page.json()) as { values: { name: string }[] }).values.map((u) => u.name));
    }
    expect(names).toHaveLength(1000);
    expect(names).not.toContain("ada");
  });

  it("Jane, whose slug is not her name, still signs in through the filter", async () => {
    const { h } = await bigInstance();
    h.dc.approveAs("jane@acme.com");
    expect((await dcLogin(h.agent())).status).toBe(302);
    const lookups = h.dc.requests.filter((r) => r.url.includes("/users")).map((r) => r.url.split("?")[0]);
    expect(lookups).toEqual([
      "/bitbucket/rest/api/latest/users/jane@acme.com",
      "/bitbucket/rest/api/latest/users",
    ]);
  });
});

describe("finding 5: no `;` in an API path, on either edition (paths.ts)", () => {
  const semicolons = {
    cloud: ["/2.0/..;/..;/other/collect", "/2.0/user;jsessionid=1", "/2.0/x/%3b/y", "/2.0/x/..%3B/y"],
    dc: [
      "/rest/api/latest/..;/..;/other-app/collect",
      "/rest/..;/plugins/servlet/x",
      "/rest/api/latest/projects;x=1",
      "/rest/api/%3b/x",
      "/rest/api/..%3B/x",
    ],
  };

  it.each(semicolons.dc)("Data Center: refuses %j without sending it", async (path) => {
    const dc = await dataCenterFake();
    const deadline = later(createDeadline(1000), (d) => d.end());
    await expect(createDataCenterFetch(dc.url, "token", deadline)(path)).rejects.toThrow(TypeError);
    expect(dc.requests).toEqual([]);
  });

  it.each(semicolons.cloud)("Cloud: refuses %j without sending it", async (path) => {
    const cloud = await cloudFake();
    const deadline = later(createDeadline(1000), (d) => d.end());
    await expect(createFetchBitbucket("token", deadline)(path)).rejects.toThrow(TypeError);
    expect(Object.values(cloud.hits).reduce((a, b) => a + b, 0)).toBe(0);
  });
});

describe("finding 6: a Bitbucket body is capped at 4 MiB (upstream.ts)", () => {
  /** A hostile instance: every answer is a 200 for Ada whose body runs to 128 MiB, unless cut off. */
  async function hostile(declared: boolean) {
    const sent = { bytes: 0, closed: false };
    const sockets = new Set<Socket>();
    const server: Server = createServer((req, res) => {
      res.writeHead(200, {
        "Content-Type": "application/json",
        "X-AUSERNAME": "ada",
        "X-AUSERID": "101",
        ...(declared ? { "Content-Length": String(128 * 1024 * 1024) } : {}),
      });
      const chunk = Buffer.alloc(64 * 1024, 0x20);
      const pump = () => {
        while (sent.bytes < 128 * 1024 * 1024 && !res.destroyed) {
          sent.bytes += chunk.length;
          if (!res.write(chunk)) return void res.once("drain", pump);
        }
        if (!res.destroyed) res.end();
      };
      res.on("close", () => (sent.closed = true));
      pump();
    });
    server.on("connection", (s) => (sockets.add(s), s.on("close", () => sockets.delete(s))));
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    later(server, (s) => new Promise((resolve) => (sockets.forEach((x) => x.destroy()), s.close(resolve))));
    return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/bitbucket`, sent };
  }

  it.each([
    ["streamed without a length", false],
    ["declared by Content-Length", true],
  ])("a 128 MiB answer %s is cancelled as BITBUCKET_UNAVAILABLE", async (_name, declared) => {
    const instance = await hostile(declared);
    const err = await checkBitbucketAccess({
      serverUrl: instance.url,
      accessToken: "token",
      allow: DC_ALLOW,
      timeout: 30_000,
    }).catch((e: unknown) => e);
    expect(err).toMatchObject({
      code: "BITBUCKET_UNAVAILABLE",
      message: "Bitbucket's answer was larger than 4 MiB.",
    });
    await waitFor(() => instance.sent.closed);
    // Cut off near the cap (socket buffers aside), far from the 128 MiB on offer.
    expect(instance.sent.bytes).toBeLessThan(32 * 1024 * 1024);
  });

  it("reads an answer of exactly 4 MiB, and refuses one byte more", async () => {
    const body = (size: number) =>
      new Response(
        new ReadableStream({
          start(controller) {
            controller.enqueue(new Uint8Array(size - 1).fill(0x20));
            controller.enqueue(new Uint8Array(1).fill(0x20));
            controller.close();
          },
        }),
      );
    const deadline = createDeadline(60_000);
    later(deadline, (d) => d.end());
    expect((await readBody(body(MAX_BODY_BYTES), deadline)).length).toBe(MAX_BODY_BYTES);
    await expect(readBody(body(MAX_BODY_BYTES + 1), deadline)).rejects.toMatchObject({
      code: "BITBUCKET_UNAVAILABLE",
    });
  });
});

async function waitFor(condition: () => boolean): Promise<void> {
  while (!condition()) await new Promise((resolve) => setImmediate(resolve));
}

describe("finding 7: each router counts and drops only its own state cookies (state-cookie.ts)", () => {
  // On https both routers' cookies are `__Host-bitbucket_oauth_state.…`; each keeps a cap of 5.
  function twoRouters() {
    const auth = createAuth(() => ({}) as never, "DEV");
    const app = express();
    app.use(cookieParser(COOKIE_SECRET));
    app.use(
      "/cloud",
      bitbucketRouter(auth, { ...CLIENT, redirectUri: "https://app.test/cloud/login/bitbucket/callback" }),
    );
    app.use(
      "/dc",
      bitbucketRouter(auth, {
        ...CLIENT,
        serverUrl: "https://git.acme.test/bitbucket",
        redirectUri: "https://app.test/dc/login/bitbucket/callback",
      }),
    );
    const jar = new Map<string, string>();
    const start = async (router: "cloud" | "dc") => {
      const res = await request(app)
        .get(`/${router}/login/bitbucket`)
        .set("Cookie", [...jar].map(([n, v]) => `${n}=${v}`).join("; "));
      expect(res.status).toBe(302);
      const cleared: string[] = [];
      let issued = "";
      for (const line of (res.headers["set-cookie"] as unknown as string[]) ?? []) {
        const [pair = ""] = line.split(";");
        const name = pair.slice(0, pair.indexOf("="));
        if (/Expires=Thu, 01 Jan 1970/.test(line)) {
          cleared.push(name);
          jar.delete(name);
        } else {
          issued = name;
          jar.set(name, pair.slice(pair.indexOf("=") + 1));
        }
      }
      return { issued, cleared };
    };
    return { start, jar };
  }

  it("a new Cloud login beside four Data Center ones drops none of them", async () => {
    const { start, jar } = twoRouters();
    const cloudFirst = await start("cloud");
    const dc = [];
    for (let i = 0; i < 4; i++) dc.push((await start("dc")).issued);
    const next = await start("cloud");
    expect(next.cleared).toEqual([]);
    expect([...jar.keys()].sort()).toEqual([cloudFirst.issued, next.issued, ...dc].sort());
    // The two routers' names share the stem and differ in the router's mark.
    expect(cloudFirst.issued.slice(0, 33)).toBe(next.issued.slice(0, 33));
    expect(cloudFirst.issued.slice(0, 33)).not.toBe(dc[0]?.slice(0, 33));
  });

  it("past its own five, a router drops its own oldest, never the other's", async () => {
    const { start } = twoRouters();
    const cloud = [];
    for (let i = 0; i < 5; i++) cloud.push((await start("cloud")).issued);
    const dc = [];
    for (let i = 0; i < 3; i++) dc.push((await start("dc")).issued);
    const sixth = await start("cloud");
    expect(sixth.cleared).toEqual([cloud[0]]);
  });
});

describe("the example refuses a recheck interval that is not a number of seconds (example-server/config.ts)", () => {
  it.each(["1e300", "", " 300", "300s", "-1", "86401", "0x10"])(
    "refuses BITBUCKET_RECHECK_SECONDS=%j at start",
    (value) => {
      expect(() => loadConfig({ BITBUCKET_RECHECK_SECONDS: value })).toThrow(
        `BITBUCKET_RECHECK_SECONDS must be a whole number of seconds from 0 to 86400 (0 re-checks on every request); got ${JSON.stringify(value)}.`,
      );
    },
  );

  it.each([
    ["0", 0],
    ["300", 300_000],
    ["86400", 86_400_000],
  ])("takes %j as %d ms", (value, ms) => {
    expect(loadConfig({ BITBUCKET_RECHECK_SECONDS: value }).recheckMs).toBe(ms);
  });

  it("and the guard refuses an interval over a day", () => {
    const auth = createAuth(() => ({}) as never, "DEV");
    expect(() =>
      bitbucketAccessGuard(auth, {
        ...CLIENT,
        allow: CLOUD_ALLOW,
        tokens: memoryTokenStore(),
        interval: 1e300,
      }),
    ).toThrow('bitbucketAccessGuard: option "interval" must be at most 86400000 (a day, in milliseconds).');
  });
});

const flipAt = (s: string, i: number) => s.slice(0, i) + (s[i] === "A" ? "B" : "A") + s.slice(i + 1);

describe("what held in the red team's run stays held: the sealed store (token-seal.ts)", () => {
  const sealer = createTokenSealer(KEYS, "keys");
  const binding = JSON.stringify(["u1", GRANT]);

  it("no IV is used twice in 50,000 seals", () => {
    const ivs = new Set<string>();
    for (let i = 0; i < 50_000; i++) ivs.add(sealer.seal(binding, "x").split(".")[1] ?? "");
    expect(ivs.size).toBe(50_000);
  });

  it.each<[string, (sealed: string) => string]>([
    ["in the clear", () => JSON.stringify(TOKENS)],
    ["of another version", (s) => s.replace(/^v1\./, "v0.")],
    ["without a version", (s) => s.slice(3)],
    ["with its tag cut short", (s) => s.slice(0, -4)],
    // The tenth character of the ciphertext: whole bits of data, not base64url's padding bits.
    ["with a byte flipped", (s) => flipAt(s, s.lastIndexOf(".") + 10)],
  ])("a row %s does not open", (_name, tamper) => {
    const sealed = sealer.seal(binding, JSON.stringify(TOKENS));
    expect(sealer.open(binding, sealed)).toBe(JSON.stringify(TOKENS));
    expect(sealer.open(binding, tamper(sealed))).toBeNull();
  });
});
