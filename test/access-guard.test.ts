// bitbucketAccessGuard: who may *stay* signed in, on a real app, a real fake and real SQLite.
import { afterEach, describe, expect, it } from "@jest/globals";
import Database from "better-sqlite3";
import type { Adapter } from "lucia";
import {
  bitbucketAccessGuard,
  memoryTokenStore,
  sqliteTokenStore,
  type BitbucketAccessGuardOptions,
  type BitbucketTokenStore,
} from "../src/index.js";
import { login, setCookie, startHarness, type Agent, type Harness } from "./helpers/harness.js";
import { ACCESS_FAKE } from "./helpers/access-fixtures.js";

const allow = { workspaces: ["fake-team"] };
const client = { clientId: "fake-client-id", clientSecret: "fake-client-secret" };

let h: Harness | undefined;
afterEach(async () => {
  await h?.close();
  h = undefined;
});

interface Setup {
  readonly guard?: Partial<BitbucketAccessGuardOptions>;
  readonly tokens?: BitbucketTokenStore;
  readonly adapter?: (real: Adapter) => Adapter;
}

/** A harness whose router stores tokens and whose guard runs before the app's routes. */
async function start(setup: Setup = {}) {
  const tokens = setup.tokens ?? memoryTokenStore();
  h = await startHarness({
    fake: ACCESS_FAKE,
    router: { allow, tokens },
    adapter: setup.adapter,
    afterRouter: (app, auth) =>
      app.use(bitbucketAccessGuard(auth, { allow, ...client, tokens, interval: 0, ...setup.guard })),
  });
  return { harness: h, tokens };
}

async function signedIn(harness: Harness): Promise<{ agent: Agent; userId: string }> {
  const agent = harness.agent();
  const res = await login(agent);
  expect(res.status).toBe(302);
  const me = await agent.get("/me");
  expect(me.status).toBe(200);
  return { agent, userId: me.body.userId as string };
}

const revoked = async (agent: Agent) => {
  const res = await agent.get("/me");
  expect({ status: res.status, error: res.body.error }).toEqual({ status: 401, error: "ACCESS_REVOKED" });
  expect(setCookie(res, "auth_session")).toMatch(/^auth_session=;/);
  return res;
};

describe("the guard keeps members and signs out whoever no longer qualifies", () => {
  it("keeps a member, checking Bitbucket on every request with interval 0", async () => {
    const { harness } = await start();
    const { agent } = await signedIn(harness);
    const before = harness.fake.hits.permission;
    for (let i = 0; i < 3; i++) expect((await agent.get("/me")).status).toBe(200);
    expect(harness.fake.hits.permission - before).toBe(3);
  });

  it("a removed member loses every session at once, and the tokens are removed", async () => {
    const { harness, tokens } = await start();
    const { agent, userId } = await signedIn(harness);
    const phone = (await signedIn(harness)).agent;
    harness.fake.setWorkspaceRole("ada", "fake-team", null);
    await revoked(agent);
    expect((await phone.get("/me")).status).toBe(401);
    expect(await tokens.get(userId)).toBeNull();
    expect((await harness.db.counts()).sessions).toBe(0);
    expect((harness.errors[0] as Error & { cause: Error }).cause.message).toContain("not a member");
  });

  it("a person who revoked the app on Bitbucket is signed out: the refresh is refused, no outage", async () => {
    const { harness } = await start();
    const { agent } = await signedIn(harness);
    harness.fake.revokeGrants("ada");
    await revoked(agent);
    expect((await agent.get("/me")).status).toBe(401);
    expect((await harness.db.counts()).sessions).toBe(0);
  });

  it("a user with no stored tokens is signed out, so the next login runs the gate", async () => {
    const { harness, tokens } = await start();
    const { agent, userId } = await signedIn(harness);
    await tokens.remove(userId);
    await revoked(agent);
    // The next login works, and stores tokens again.
    const again = await signedIn(harness);
    expect(await tokens.get(again.userId)).not.toBeNull();
  });

  it("a missing scope ends the sessions: it is not an outage", async () => {
    const { harness } = await start();
    const { agent } = await signedIn(harness);
    harness.fake.setFault({ endpoint: "permission", kind: "status", status: 403 });
    await revoked(agent);
  });

  it("sends the person to failureRedirect with ?error=ACCESS_REVOKED when it is set", async () => {
    const { harness } = await start({ guard: { failureRedirect: "/signed-out" } });
    const { agent } = await signedIn(harness);
    harness.fake.setWorkspaceRole("ada", "fake-team", null);
    const res = await agent.get("/me");
    expect(res.status).toBe(302);
    expect(res.headers.location).toBe("/signed-out?error=ACCESS_REVOKED");
  });

  it("lets requests without a session, or with a dead one, through untouched", async () => {
    const { harness } = await start();
    expect((await harness.agent().get("/me")).status).toBe(401);
    const dead = await harness.agent().get("/me").set("Cookie", "auth_session=not-a-session-id-0000000");
    expect(dead.body.error).toBe("UNAUTHENTICATED");
  });
});

describe("outages keep the session only up to maxStale", () => {
  it.each([
    [{ kind: "status", status: 500 } as const],
    [{ kind: "status", status: 429 } as const],
    [{ kind: "non-json" } as const],
  ])("keeps the session through %j while the last good check is recent, then fails closed", async (fault) => {
    const { harness, tokens } = await start({ guard: { maxStale: 60_000 } });
    const { agent, userId } = await signedIn(harness);
    harness.fake.setFault({ endpoint: "permission", ...fault });
    expect((await agent.get("/me")).status).toBe(200);
    expect((await agent.get("/me")).status).toBe(200);
    // The last check that held is now older than maxStale.
    const stored = await tokens.get(userId);
    await tokens.save(userId, { ...(stored ?? ({} as never)), checkedAt: Date.now() - 60_001 });
    await revoked(agent);
  });

  it("a time-out counts as an outage", async () => {
    const { harness } = await start({ guard: { timeout: 1000 } });
    const { agent } = await signedIn(harness);
    harness.fake.setFault({ endpoint: "permission", kind: "slow", delayMs: 30_000 });
    expect((await agent.get("/me")).status).toBe(200);
  });
});

describe("a fresh check costs nothing", () => {
  it("within the interval, a request reads no session row and calls no Bitbucket", async () => {
    let reads = 0;
    const { harness } = await start({
      guard: { interval: 60_000 },
      adapter: (real) => ({
        ...real,
        getSessionAndUser: real.getSessionAndUser
          ? async (id: string) => {
              reads++;
              return (real.getSessionAndUser as NonNullable<Adapter["getSessionAndUser"]>)(id);
            }
          : undefined,
        getSession: async (id: string) => {
          reads++;
          return real.getSession(id);
        },
      }),
    });
    const { agent } = await signedIn(harness);
    await agent.get("/me"); // the guard learns whose session it is
    const hits = { ...harness.fake.hits };
    reads = 0;
    await agent.get("/me");
    // Only the app's own /me reads the session: the guard adds nothing.
    expect(reads).toBe(1);
    expect(harness.fake.hits).toEqual(hits);
  });
});

describe("refresh is single-flight", () => {
  it("concurrent requests of one user at expiry make one refresh, and all are let through", async () => {
    const { harness, tokens } = await start();
    const { agent, userId } = await signedIn(harness);
    harness.fake.setLatency(50);
    const stored = await tokens.get(userId);
    await tokens.save(userId, { ...(stored ?? ({} as never)), accessTokenExpiresAt: 0, checkedAt: 0 });
    harness.fake.expireAccessTokens();
    const before = harness.fake.hits.token;
    const answers = await Promise.all(Array.from({ length: 5 }, () => agent.get("/me")));
    expect(answers.map((r) => r.status)).toEqual([200, 200, 200, 200, 200]);
    expect(harness.fake.hits.token - before).toBe(1);
    const after = await tokens.get(userId);
    expect(after?.refreshToken).not.toBe(stored?.refreshToken);
    expect(after?.accessTokenExpiresAt).toBeGreaterThan(Date.now());
  });

  it("a token refused before its expiry is refreshed once, then checked again", async () => {
    const { harness } = await start();
    const { agent } = await signedIn(harness);
    harness.fake.expireAccessTokens();
    const before = harness.fake.hits.token;
    expect((await agent.get("/me")).status).toBe(200);
    expect(harness.fake.hits.token - before).toBe(1);
  });
});

describe("the token store", () => {
  it("a failing store answers TOKEN_STORE_FAILED and lets nothing through", async () => {
    const real = memoryTokenStore();
    let broken = false;
    const tokens: BitbucketTokenStore = {
      get: async (id) => {
        if (broken) throw new Error("disk on fire");
        return real.get(id);
      },
      save: (id, t) => real.save(id, t),
      remove: (id) => real.remove(id),
    };
    const { harness } = await start({ tokens });
    const { agent } = await signedIn(harness);
    broken = true;
    const res = await agent.get("/me");
    expect({ status: res.status, error: res.body.error }).toEqual({
      status: 500,
      error: "TOKEN_STORE_FAILED",
    });
    expect(JSON.stringify(res.body)).not.toContain("disk on fire");
    expect((await harness.db.counts()).sessions).toBe(1);
  });

  it("a store that fails at login revokes the new session: no session without its tokens", async () => {
    const tokens: BitbucketTokenStore = {
      get: async () => null,
      save: async () => Promise.reject(new Error("read-only")),
      remove: async () => undefined,
    };
    const { harness } = await start({ tokens });
    const res = await login(harness.agent());
    expect({ status: res.status, error: res.body.error }).toEqual({
      status: 500,
      error: "TOKEN_STORE_FAILED",
    });
    expect((await harness.db.counts()).sessions).toBe(0);
  });

  it("sealed tokens are unreadable without the key, and a rotated key reads and re-seals them", async () => {
    const db = new Database(":memory:");
    const [k1, k2] = ["first-key-of-at-least-32-characters!", "second-key-of-at-least-32-characters"];
    const tokens = {
      accessToken: "AT-secret",
      refreshToken: "RT-secret",
      accessTokenExpiresAt: 5,
      checkedAt: 6,
    };
    await sqliteTokenStore(db, { keys: [k1] }).save("u1", tokens);
    const raw = JSON.stringify(db.prepare("SELECT * FROM bitbucket_token").all());
    expect(raw).not.toContain("secret");
    expect(await sqliteTokenStore(db, { keys: [k2] }).get("u1")).toBeNull();
    const rotated = sqliteTokenStore(db, { keys: [k2, k1] });
    expect(await rotated.get("u1")).toEqual(tokens);
    await rotated.save("u1", tokens);
    expect(await sqliteTokenStore(db, { keys: [k2] }).get("u1")).toEqual(tokens);
    expect(await sqliteTokenStore(db, { keys: [k1] }).get("u1")).toBeNull();
    // A sealed row moved to another user does not open.
    db.prepare("UPDATE bitbucket_token SET user_id = 'u2'").run();
    expect(await rotated.get("u2")).toBeNull();
    db.close();
  });

  it("refuses to save tokens of another shape, instead of storing a row that reads as none", async () => {
    const store = sqliteTokenStore(new Database(":memory:"), { keys: ["k".repeat(32)] });
    const loginTokens = { accessToken: "a", refreshToken: "r", accessTokenExpiresIn: 7200 };
    await expect(store.save("u1", loginTokens as never)).rejects.toThrow(/BitbucketStoredTokens/);
  });

  it.each([
    [{ keys: "short" }, /at least 32 characters/],
    [{ keys: [] }, /at least 32 characters/],
    [{ keys: ["k".repeat(32)], table: "x; DROP TABLE y" }, /plain SQL identifier/],
  ])("refuses store options %j", (options, message) => {
    expect(() => sqliteTokenStore(new Database(":memory:"), options as never)).toThrow(message);
  });
});

describe("construction", () => {
  const auth = () => (h as Harness).auth;
  const valid = () => ({ allow, ...client, tokens: memoryTokenStore() });
  it.each([
    [{ intervall: 1 }, 'unknown option "intervall". Did you mean "interval"?'],
    [{ tokens: {} }, 'option "tokens" must be a token store'],
    [{ clientSecret: "" }, 'option "clientSecret" is required'],
    [{ interval: 1.5 }, 'option "interval" must be a whole number of milliseconds'],
    [{ maxStale: -1 }, 'option "maxStale" must be a whole number of milliseconds'],
    [{ timeout: 10 }, 'option "timeout" must be a whole number of milliseconds (not seconds), at least 1000'],
    [{ failureRedirect: "evil" }, 'option "failureRedirect" must be a path'],
    [{ allow: { role: "constructor", workspaces: ["a"] } }, 'option "allow.role" must be'],
  ])("throws a TypeError for %j", async (bad, message) => {
    h = await startHarness();
    expect(() => bitbucketAccessGuard(auth(), { ...valid(), ...bad } as never)).toThrow(
      `bitbucketAccessGuard: ${message}`,
    );
  });

  it("refuses a first argument that is not Lucia", () => {
    expect(() => bitbucketAccessGuard({} as never, {} as never)).toThrow(/Lucia 2 instance/);
  });
});
