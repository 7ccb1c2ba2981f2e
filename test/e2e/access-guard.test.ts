// bitbucketAccessGuard: who may *stay* signed in, on a real app, a real fake and real SQLite.
import { afterEach, describe, expect, it } from "@jest/globals";
import Database from "better-sqlite3";
import type { Adapter } from "lucia";
import {
  BitbucketAuthError,
  bitbucketAccessGuard,
  memoryTokenStore,
  sqliteTokenStore,
  type BitbucketAccessGuardOptions,
  type BitbucketTokenStore,
} from "../../src/index.js";
import { GRANT, login, setCookie, startHarness, type Agent, type Harness } from "../helpers/harness.js";
import { ACCESS_FAKE } from "../helpers/access-fixtures.js";
import { revocationAfterRead } from "../helpers/race.js";

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
    expect(await tokens.get(userId, GRANT)).toBeNull();
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
    await tokens.remove(userId, GRANT);
    await notStored(agent, harness, /holds none for this user/);
    // The next login works, and stores tokens again.
    const again = await signedIn(harness);
    expect(await tokens.get(again.userId, GRANT)).not.toBeNull();
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
    const stored = await tokens.get(userId, GRANT);
    await tokens.save(userId, GRANT, { ...(stored ?? ({} as never)), checkedAt: Date.now() - 60_001 });
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
    const stored = await tokens.get(userId, GRANT);
    await tokens.save(userId, GRANT, { ...(stored ?? ({} as never)), accessTokenExpiresAt: 0, checkedAt: 0 });
    harness.fake.expireAccessTokens();
    const before = harness.fake.hits.token;
    const answers = await Promise.all(Array.from({ length: 5 }, () => agent.get("/me")));
    expect(answers.map((r) => r.status)).toEqual([200, 200, 200, 200, 200]);
    expect(harness.fake.hits.token - before).toBe(1);
    const after = await tokens.get(userId, GRANT);
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

/** A memory store whose `get` throws "disk on fire" while broken. */
function breakableStore() {
  const real = memoryTokenStore();
  let broken = false;
  const tokens: BitbucketTokenStore = {
    get: async (id, grant) => {
      if (broken) throw new Error("disk on fire");
      return real.get(id, grant);
    },
    save: (id, grant, t) => real.save(id, grant, t),
    remove: (id, grant) => real.remove(id, grant),
  };
  return { tokens, breaks: (value: boolean) => void (broken = value) };
}

describe("the token store", () => {
  it("a failing store answers TOKEN_STORE_FAILED and lets nothing through", async () => {
    const { tokens, breaks } = breakableStore();
    const { harness } = await start({ tokens });
    const { agent } = await signedIn(harness);
    breaks(true);
    const res = await agent.get("/me");
    expect({ status: res.status, error: res.body.error }).toEqual({
      status: 500,
      error: "TOKEN_STORE_FAILED",
    });
    expect(JSON.stringify(res.body)).not.toContain("disk on fire");
    expect((await harness.db.counts()).sessions).toBe(1);
  });

  it("a store that fails at login revokes the new session: no session without its tokens", async () => {
    const readOnly = new Error("read-only");
    const tokens: BitbucketTokenStore = {
      get: async () => null,
      save: async () => Promise.reject(readOnly),
      remove: async () => undefined,
    };
    const { harness } = await start({ tokens });
    const res = await login(harness.agent());
    expect({ status: res.status, error: res.body.error, message: res.body.message }).toEqual({
      status: 500,
      error: "TOKEN_STORE_FAILED",
      message: "The tokens could not be stored; the new session was revoked.",
    });
    expect((harness.errors.at(-1) as Error).cause).toBe(readOnly);
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
    await sqliteTokenStore(db, { keys: [k1] }).save("u1", GRANT, tokens);
    const raw = JSON.stringify(db.prepare("SELECT * FROM bitbucket_token").all());
    expect(raw).not.toContain("secret");
    expect(await sqliteTokenStore(db, { keys: [k2] }).get("u1", GRANT)).toBeNull();
    const rotated = sqliteTokenStore(db, { keys: [k2, k1] });
    expect(await rotated.get("u1", GRANT)).toEqual(tokens);
    await rotated.save("u1", GRANT, tokens);
    expect(await sqliteTokenStore(db, { keys: [k2] }).get("u1", GRANT)).toEqual(tokens);
    expect(await sqliteTokenStore(db, { keys: [k1] }).get("u1", GRANT)).toBeNull();
    // A sealed row moved to another user does not open.
    db.prepare("UPDATE bitbucket_token SET user_id = 'u2'").run();
    expect(await rotated.get("u2", GRANT)).toBeNull();
    db.close();
  });

  it("refuses to save tokens of another shape, instead of storing a row that reads as none", async () => {
    const store = sqliteTokenStore(new Database(":memory:"), { keys: ["k".repeat(32)] });
    const loginTokens = { accessToken: "a", refreshToken: "r", accessTokenExpiresIn: 7200 };
    await expect(store.save("u1", GRANT, loginTokens as never)).rejects.toThrow(/BitbucketStoredTokens/);
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
    // Refused by the edition's own rule check, by name, as every other bad allow is.
    [{ allow: undefined }, 'option "allow" must be an object such as { workspaces: ["my-workspace"] }.'],
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

/**
 * A user of this Bitbucket with nothing in the guard's store: 500 TOKENS_NOT_STORED, whose message
 * names the fix, and every session ended all the same (fail closed).
 */
async function notStored(agent: Agent, harness: Harness, fix: RegExp) {
  const res = await agent.get("/me");
  expect({ status: res.status, error: res.body.error }).toEqual({ status: 500, error: "TOKENS_NOT_STORED" });
  expect(setCookie(res, "auth_session")).toMatch(/^auth_session=;/);
  expect(res.headers["cache-control"]).toBe("no-store");
  const err = harness.errors.at(-1) as { code?: string; message?: string; cause?: Error };
  expect(err.code).toBe("TOKENS_NOT_STORED");
  expect(err.message).toMatch(fix);
  expect(err.cause?.message).toBe("no stored Bitbucket tokens for this user");
  expect((await harness.db.counts()).sessions).toBe(0);
  expect((await agent.get("/me")).status).toBe(401);
}

describe("a guard that finds no tokens says why, and still ends the sessions", () => {
  const guarded = (router: object, guardTokens = memoryTokenStore()) =>
    startHarness({
      fake: ACCESS_FAKE,
      router: { allow, ...router },
      afterRouter: (app, auth) =>
        app.use(bitbucketAccessGuard(auth, { allow, ...client, tokens: guardTokens, interval: 0 })),
    });

  it("when the router was given no tokens: pass it the guard's store", async () => {
    h = await guarded({});
    const agent = h.agent();
    expect((await login(agent)).status).toBe(302);
    await notStored(
      agent,
      h,
      /bitbucketRouter was given no tokens option.*bitbucketRouter\(auth, \{ \.\.\.options, tokens \}\)/,
    );
  });

  it("when the router was given another store: pass both the same one", async () => {
    const routerTokens = memoryTokenStore();
    h = await guarded({ tokens: routerTokens });
    const agent = h.agent();
    expect((await login(agent)).status).toBe(302);
    expect(routerTokens.size).toBe(1);
    await notStored(agent, h, /given another token store than this guard: pass both the same store/);
  });

  it("when the router shares the store but holds no row for the user: sign in again", async () => {
    const tokens = memoryTokenStore();
    h = await guarded({ tokens }, tokens);
    const agent = h.agent();
    expect((await login(agent)).status).toBe(302);
    const me = await agent.get("/me");
    expect(me.status).toBe(200);
    await tokens.remove(me.body.userId as string, GRANT);
    await notStored(agent, h, /they signed in before it did, or the row was removed/);
    // A new login stores tokens again, and the guard lets it through.
    const again = h.agent();
    expect((await login(again)).status).toBe(302);
    expect((await again.get("/me")).status).toBe(200);
  });

  it("answers a request that raced another's revocation as signed out, not TOKENS_NOT_STORED", async () => {
    const revocation = revocationAfterRead();
    const { harness, tokens } = await start({ adapter: revocation.adapter });
    const { agent, userId } = await signedIn(harness);
    await tokens.remove(userId, GRANT);
    revocation.arm();
    const res = await agent.get("/me");
    // Passed on as any request whose session is gone: the app's own check answers it.
    expect({ status: res.status, error: res.body.error }).toEqual({ status: 401, error: "UNAUTHENTICATED" });
    expect(harness.errors).toEqual([]);
  });

  it("takes a session it cannot read again for one that stands: TOKENS_NOT_STORED, sessions ended", async () => {
    let breakAfterRead = false;
    let broken = false;
    const { harness, tokens } = await start({
      adapter: (real) => ({
        ...real,
        getSession: async (id: string) => {
          if (broken) throw new Error("database down");
          broken = breakAfterRead;
          return real.getSession(id);
        },
      }),
    });
    const { agent, userId } = await signedIn(harness);
    await tokens.remove(userId, GRANT);
    breakAfterRead = true;
    const res = await agent.get("/me");
    expect({ status: res.status, error: res.body.error }).toEqual({
      status: 500,
      error: "TOKENS_NOT_STORED",
    });
    expect((await harness.db.counts()).sessions).toBe(0);
  });
});

/** The cause the last ACCESS_REVOKED carried: why the sessions were ended. */
function lastWhy(harness: Harness): string {
  const err = harness.errors.at(-1) as { code?: string; cause?: Error } | undefined;
  expect(err?.code).toBe("ACCESS_REVOKED");
  return err?.cause?.message ?? "";
}

/** A memory store that counts its reads and can be made to fail one method. */
function countingStore() {
  const real = memoryTokenStore();
  const calls = { get: 0, save: 0, remove: 0 };
  const failing = { save: false, remove: false };
  const tokens: BitbucketTokenStore = {
    get: async (id, grant) => (calls.get++, real.get(id, grant)),
    save: async (id, grant, t) => {
      calls.save++;
      if (failing.save) throw new Error("read-only disk");
      return real.save(id, grant, t);
    },
    remove: async (id, grant) => {
      calls.remove++;
      if (failing.remove) throw new Error("read-only disk");
      return real.remove(id, grant);
    },
  };
  return { tokens, calls, failing };
}

/** Wraps the real adapter so that every session read (by the guard or the app) calls `count`. */
const countingReads =
  (count: () => void) =>
  (real: Adapter): Adapter => ({
    ...real,
    getSessionAndUser: undefined,
    getSession: async (id: string) => (count(), real.getSession(id)),
  });

/** Signed in, and the guard has not seen the session yet (no request after the login). */
async function loggedIn(harness: Harness): Promise<{ agent: Agent; userId: string }> {
  const agent = harness.agent();
  const res = await login(agent);
  const sessionId = /^auth_session=([^;]+)/.exec(setCookie(res, "auth_session") ?? "")?.[1] ?? "";
  return { agent, userId: (await harness.auth.getSession(sessionId)).user.userId };
}

async function setStored(tokens: BitbucketTokenStore, userId: string, change: Record<string, unknown>) {
  const stored = await tokens.get(userId, GRANT);
  await tokens.save(userId, GRANT, { ...(stored ?? ({} as never)), ...change });
}

describe("why sessions end, as the ACCESS_REVOKED cause says", () => {
  it("names the rule a removed member fails", async () => {
    const { harness } = await start();
    const { agent } = await signedIn(harness);
    harness.fake.setWorkspaceRole("ada", "fake-team", null);
    await revoked(agent);
    expect(lastWhy(harness)).toBe("not a member of the workspace 'fake-team'");
  });

  it("names the failed check's code, and an outage past maxStale", async () => {
    const { harness, tokens } = await start({ guard: { maxStale: 60_000 } });
    const { agent, userId } = await signedIn(harness);
    harness.fake.setFault({ endpoint: "permission", kind: "status", status: 403, times: 1 });
    await revoked(agent);
    expect(lastWhy(harness)).toBe("the check failed with SCOPE_MISSING");
    const second = await signedIn(harness);
    harness.fake.setFault({ endpoint: "permission", kind: "status", status: 503 });
    await setStored(tokens, second.userId, { checkedAt: Date.now() - 60_001 });
    await revoked(second.agent);
    expect(lastWhy(harness)).toBe(
      "Bitbucket could not be asked for longer than maxStale (BITBUCKET_UNAVAILABLE)",
    );
    expect(userId).toBe(second.userId);
  });
});

describe("when the guard asks Bitbucket, and when it does not", () => {
  it("trusts a check another instance stored within the interval", async () => {
    const { harness, tokens } = await start({ guard: { interval: 60_000 } });
    const { agent, userId } = await loggedIn(harness);
    await setStored(tokens, userId, { checkedAt: Date.now() - 30_000 });
    const hits = { ...harness.fake.hits };
    expect((await agent.get("/me")).status).toBe(200);
    expect(harness.fake.hits).toEqual(hits);
  });

  it("after a check that held, the next request within the interval asks nothing", async () => {
    let reads = 0;
    const { harness, tokens } = await start({
      guard: { interval: 60_000 },
      adapter: countingReads(() => reads++),
    });
    const { agent, userId } = await loggedIn(harness);
    await setStored(tokens, userId, { checkedAt: 0 });
    const before = harness.fake.hits.permission;
    expect((await agent.get("/me")).status).toBe(200);
    expect(harness.fake.hits.permission).toBe(before + 1);
    reads = 0;
    expect((await agent.get("/me")).status).toBe(200);
    expect(harness.fake.hits.permission).toBe(before + 1);
    // Only the app's own /me reads the session: the guard remembers the check until checkedAt + interval.
    expect(reads).toBe(1);
  });

  it("during an outage, asks again only after the interval, and keeps the session meanwhile", async () => {
    const { harness, tokens } = await start({ guard: { interval: 60_000 } });
    const { agent, userId } = await loggedIn(harness);
    // Older than the interval, younger than the default maxStale (three intervals).
    await setStored(tokens, userId, { checkedAt: Date.now() - 100_000 });
    harness.fake.setFault({ endpoint: "permission", kind: "status", status: 500 });
    const before = harness.fake.hits.permission;
    expect((await agent.get("/me")).status).toBe(200);
    expect((await agent.get("/me")).status).toBe(200);
    expect(harness.fake.hits.permission).toBe(before + 1);
  });

  it("refreshes a token that expires within the margin before asking, and not one with time left", async () => {
    const { harness, tokens } = await start();
    const { agent, userId } = await signedIn(harness);
    let before = harness.fake.hits.token;
    await setStored(tokens, userId, { accessTokenExpiresAt: Date.now() + 10_000 });
    expect((await agent.get("/me")).status).toBe(200);
    expect(harness.fake.hits.token).toBe(before + 1);
    before = harness.fake.hits.token;
    await setStored(tokens, userId, { accessTokenExpiresAt: Date.now() + 120_000 });
    expect((await agent.get("/me")).status).toBe(200);
    expect(harness.fake.hits.token).toBe(before);
  });

  it("an outage is not a rejected token: no refresh, no re-read of the store", async () => {
    const { tokens, calls } = countingStore();
    const { harness } = await start({ tokens });
    const { agent } = await signedIn(harness);
    harness.fake.setFault({ endpoint: "permission", kind: "status", status: 500 });
    const before = { token: harness.fake.hits.token, get: calls.get };
    expect((await agent.get("/me")).status).toBe(200);
    expect(harness.fake.hits.token).toBe(before.token);
    expect(calls.get).toBe(before.get + 1);
  });

  it("a refresh that fails with an outage is not re-read from the store either", async () => {
    const { tokens, calls } = countingStore();
    const { harness } = await start({ tokens });
    const { agent, userId } = await signedIn(harness);
    await setStored(tokens, userId, { accessTokenExpiresAt: 0 });
    harness.fake.setFault({ endpoint: "token", kind: "status", status: 503 });
    const before = calls.get;
    expect((await agent.get("/me")).status).toBe(200);
    expect(calls.get).toBe(before + 1);
  });

  it("a token rejected right after a refresh ends the sessions, after one refresh only", async () => {
    const { harness, tokens } = await start();
    const { agent, userId } = await signedIn(harness);
    await setStored(tokens, userId, { accessTokenExpiresAt: 0 });
    harness.fake.setFault({ endpoint: "permission", kind: "status", status: 401 });
    const before = harness.fake.hits.token;
    await revoked(agent);
    expect(harness.fake.hits.token).toBe(before + 1);
    expect(lastWhy(harness)).toBe("the check failed with BITBUCKET_TOKEN_REJECTED");
  });

  it("a dead refresh token with a still-working access token is not rescued by the store's copy", async () => {
    const { harness, tokens } = await start();
    const { agent, userId } = await signedIn(harness);
    // Expired by the store's clock, still accepted by Bitbucket, and a refresh token Bitbucket refuses.
    await setStored(tokens, userId, { accessTokenExpiresAt: 0, refreshToken: "not-a-refresh-token" });
    await revoked(agent);
    expect(lastWhy(harness)).toBe("the check failed with REFRESH_TOKEN_INVALID");
  });
});

describe("the guard's own failures", () => {
  it("a store that cannot save a check answers TOKEN_STORE_FAILED (500) with the store's error as cause", async () => {
    const { tokens, failing } = countingStore();
    const { harness } = await start({ tokens });
    const { agent, userId } = await signedIn(harness);
    await setStored(tokens, userId, { checkedAt: 0 });
    failing.save = true;
    const res = await agent.get("/me");
    expect({ status: res.status, error: res.body.error }).toEqual({
      status: 500,
      error: "TOKEN_STORE_FAILED",
    });
    const err = harness.errors.at(-1) as { cause?: Error };
    expect(err.cause?.message).toBe("read-only disk");
    expect((await harness.db.counts()).sessions).toBe(1);
  });

  it("a store that cannot remove a revoked user's tokens answers TOKEN_STORE_FAILED, sessions already ended", async () => {
    const { tokens, failing } = countingStore();
    const { harness } = await start({ tokens });
    const { agent } = await signedIn(harness);
    harness.fake.setWorkspaceRole("ada", "fake-team", null);
    failing.remove = true;
    const res = await agent.get("/me");
    expect({ status: res.status, error: res.body.error }).toEqual({
      status: 500,
      error: "TOKEN_STORE_FAILED",
    });
    expect((harness.errors.at(-1) as { cause?: Error }).cause?.message).toBe("read-only disk");
    expect((await harness.db.counts()).sessions).toBe(0);
  });

  it("when Lucia cannot end the sessions, answers SESSION_REVOCATION_FAILED (500), keeps the tokens, and checks again", async () => {
    let failDeletes = true;
    const { harness, tokens } = await start({
      adapter: (real) => ({
        ...real,
        deleteSessionsByUserId: async (userId: string) => {
          if (failDeletes) throw new Error("database is locked");
          return real.deleteSessionsByUserId(userId);
        },
      }),
    });
    const { agent, userId } = await signedIn(harness);
    harness.fake.setWorkspaceRole("ada", "fake-team", null);
    const res = await agent.get("/me");
    expect({ status: res.status, error: res.body.error, cookie: res.headers["set-cookie"] }).toEqual({
      status: 500,
      error: "SESSION_REVOCATION_FAILED",
      cookie: undefined,
    });
    expect((harness.errors.at(-1) as { cause?: Error }).cause?.message).toBe("database is locked");
    expect((await harness.db.counts()).sessions).toBe(1);
    expect(await tokens.get(userId, GRANT)).not.toBeNull();
    // The next request checks again, and this time the sessions end.
    failDeletes = false;
    expect((await revoked(agent)).status).toBe(401);
    expect((await harness.db.counts()).sessions).toBe(0);
  });

  it("answers a revocation with Cache-Control: no-store", async () => {
    const { harness } = await start();
    const { agent } = await signedIn(harness);
    harness.fake.setWorkspaceRole("ada", "fake-team", null);
    expect((await revoked(agent)).headers["cache-control"]).toBe("no-store");
  });
});

describe("the guard's memory is bounded by cacheSize", () => {
  it("remembers one session with cacheSize 1, and forgets it for the next", async () => {
    let reads = 0;
    const { harness } = await start({
      guard: { interval: 60_000, cacheSize: 1 },
      adapter: countingReads(() => reads++),
    });
    const first = await signedIn(harness);
    const second = await signedIn(harness);
    await first.agent.get("/me"); // the guard learns the first session
    reads = 0;
    await first.agent.get("/me");
    // Remembered: only the app's own /me reads the session.
    const remembered = reads;
    await second.agent.get("/me"); // the second session takes the only place
    reads = 0;
    await first.agent.get("/me");
    expect({ remembered, forgotten: reads }).toEqual({ remembered: 1, forgotten: 2 });
  });
});

describe("construction, further", () => {
  it.each([
    [null, "options must be an object with allow, clientId, clientSecret and tokens."],
    ["options", "options must be an object with allow, clientId, clientSecret and tokens."],
  ])("refuses options %j", async (options, message) => {
    h = await startHarness();
    expect(() => bitbucketAccessGuard(h!.auth, options as never)).toThrow(`bitbucketAccessGuard: ${message}`);
  });

  it.each([
    [{ clientId: 42 }, 'option "clientId" is required (a non-empty string).'],
    [{ clientId: "   " }, 'option "clientId" is required (a non-empty string).'],
    [{ cacheSize: 0 }, 'option "cacheSize" must be a whole number, at least 1.'],
  ])("throws a TypeError for %j", async (bad, message) => {
    h = await startHarness();
    const valid = { allow, ...client, tokens: memoryTokenStore() };
    expect(() => bitbucketAccessGuard(h!.auth, { ...valid, ...bad } as never)).toThrow(
      `bitbucketAccessGuard: ${message}`,
    );
  });
});

describe("a request the guard answered goes no further", () => {
  it("reaches none of the app's routes after ACCESS_REVOKED or TOKEN_STORE_FAILED", async () => {
    const { tokens, breaks } = breakableStore();
    let passed = 0;
    h = await startHarness({
      fake: ACCESS_FAKE,
      router: { allow, tokens },
      afterRouter: (app, auth) => {
        app.use(bitbucketAccessGuard(auth, { allow, ...client, tokens, interval: 0 }));
        app.use((_req, _res, next) => (passed++, next()));
      },
    });
    const first = await signedIn(h);
    const second = await signedIn(h);
    const before = passed;
    breaks(true);
    expect((await first.agent.get("/me")).status).toBe(500);
    expect(passed).toBe(before);
    breaks(false);
    h.fake.setWorkspaceRole("ada", "fake-team", null);
    await revoked(second.agent);
    expect(passed).toBe(before);
  });
});

/** A guard whose calls of `next` are recorded: with what, and whether before the guard returned. */
async function recording(setup: Setup = {}) {
  const tokens = setup.tokens ?? memoryTokenStore();
  const calls: { args: unknown[]; sync: boolean }[] = [];
  h = await startHarness({
    fake: ACCESS_FAKE,
    router: { allow, tokens },
    adapter: setup.adapter,
    afterRouter: (app, auth) => {
      const guard = bitbucketAccessGuard(auth, { allow, ...client, tokens, interval: 0, ...setup.guard });
      app.use((req, res, next) => {
        let returned = false;
        void guard(req, res, (...args: unknown[]) => {
          calls.push({ args, sync: !returned });
          next(...(args as []));
        });
        returned = true;
      });
    },
  });
  return { harness: h, tokens, calls };
}

/** What a call of `next` passed on: an error's code, or "next()" for none. */
const codeOf = (call: { args: unknown[] }) =>
  call.args.length === 0 ? "next()" : ((call.args[0] as { code?: string }).code ?? "an error without a code");

describe("the guard calls next exactly once per request", () => {
  it("once, with ACCESS_REVOKED, for a user who no longer qualifies", async () => {
    const { harness, calls } = await recording();
    const { agent } = await signedIn(harness);
    harness.fake.setWorkspaceRole("ada", "fake-team", null);
    calls.length = 0;
    await revoked(agent);
    expect(calls.map(codeOf)).toEqual(["ACCESS_REVOKED"]);
  });

  it("once, with TOKEN_STORE_FAILED, when the store cannot read", async () => {
    const { tokens, breaks } = breakableStore();
    const { harness, calls } = await recording({ tokens });
    const { agent } = await signedIn(harness);
    breaks(true);
    calls.length = 0;
    expect((await agent.get("/me")).status).toBe(500);
    expect(calls.map(codeOf)).toEqual(["TOKEN_STORE_FAILED"]);
  });

  it("once, with TOKEN_STORE_FAILED, when the store cannot remove a revoked user's tokens", async () => {
    const { tokens, failing } = countingStore();
    const { harness, calls } = await recording({ tokens });
    const { agent } = await signedIn(harness);
    harness.fake.setWorkspaceRole("ada", "fake-team", null);
    failing.remove = true;
    calls.length = 0;
    expect((await agent.get("/me")).status).toBe(500);
    expect(calls.map(codeOf)).toEqual(["TOKEN_STORE_FAILED"]);
  });

  it("once, with SESSION_REVOCATION_FAILED, when Lucia cannot end the sessions", async () => {
    const { harness, calls } = await recording({
      adapter: (real) => ({
        ...real,
        deleteSessionsByUserId: async () => Promise.reject(new Error("database is locked")),
      }),
    });
    const { agent } = await signedIn(harness);
    harness.fake.setWorkspaceRole("ada", "fake-team", null);
    calls.length = 0;
    expect((await agent.get("/me")).status).toBe(500);
    expect(calls.map(codeOf)).toEqual(["SESSION_REVOCATION_FAILED"]);
  });

  it("once, with nothing, for a member; before it returns when the check is fresh (cookie or Bearer)", async () => {
    const { harness, calls } = await recording({ guard: { interval: 60_000 } });
    const { agent } = await signedIn(harness);
    const { sessionId } = await harness.auth.createSession({
      userId: (await agent.get("/me")).body.userId as string,
      attributes: {},
    });
    calls.length = 0;
    expect((await agent.get("/me")).status).toBe(200);
    // The app's /me reads only the cookie; the guard reads the Bearer session too. It is new to the
    // guard, so it is read once, after which it is fresh as well.
    const bearer = () => harness.agent().get("/me").set("Authorization", `Bearer ${sessionId}`);
    await bearer();
    await bearer();
    expect(calls).toEqual([
      { args: [], sync: true },
      { args: [], sync: false },
      { args: [], sync: true },
    ]);
  });
});

describe("which users are this guard's", () => {
  it("a user with this Bitbucket's key among others, and no stored tokens, is signed out", async () => {
    const { harness, tokens } = await start();
    const { agent, userId } = await signedIn(harness);
    await harness.auth.createKey({ userId, providerId: "github", providerUserId: "ada", password: null });
    await tokens.remove(userId, GRANT);
    await notStored(agent, harness, /holds none for this user/);
  });

  it("a user who is not this guard's is passed on, and not looked at again within the interval", async () => {
    const { tokens, calls } = countingStore();
    const { harness } = await start({ tokens, guard: { interval: 60_000 } });
    const user = await harness.auth.createUser({
      key: { providerId: "github", providerUserId: "someone", password: null },
      attributes: {},
    } as never);
    const { sessionId } = await harness.auth.createSession({ userId: user.userId, attributes: {} });
    const agent = harness.agent();
    const asThem = () => agent.get("/me").set("Cookie", `auth_session=${sessionId}`);
    expect((await asThem()).status).toBe(200);
    expect((await asThem()).status).toBe(200);
    expect(calls.get).toBe(1);
  });
});

describe("the guard's timeouts and bounds, at their edges", () => {
  it("takes an interval of exactly a day", async () => {
    const { harness } = await start({ guard: { interval: 86_400_000 } });
    expect((await signedIn(harness)).agent).toBeDefined();
  });

  it.each([
    ["a plain error", new Error("disk on fire")],
    ["a package error that is not a time-out", new BitbucketAuthError("BITBUCKET_UNAVAILABLE")],
  ])("a store that fails with %s is not said to be late", async (_name, failure) => {
    const real = memoryTokenStore();
    let broken = false;
    const tokens: BitbucketTokenStore = {
      get: async (id, grant) => (broken ? Promise.reject(failure) : real.get(id, grant)),
      save: (id, grant, t) => real.save(id, grant, t),
      remove: (id, grant) => real.remove(id, grant),
    };
    const { harness } = await start({ tokens });
    const { agent } = await signedIn(harness);
    broken = true;
    const res = await agent.get("/me");
    expect({ status: res.status, error: res.body.error }).toEqual({
      status: 500,
      error: "TOKEN_STORE_FAILED",
    });
    expect(res.body.message).toBe(new BitbucketAuthError("TOKEN_STORE_FAILED").message);
  });
});

describe("what the router stores for the guard", () => {
  it("without allow, the tokens carry no check: checkedAt 0 and no checkedRules", async () => {
    const tokens = memoryTokenStore();
    h = await startHarness({ fake: ACCESS_FAKE, router: { tokens } });
    const { userId } = await signedIn(h);
    const stored = await tokens.get(userId, GRANT);
    expect(stored?.checkedAt).toBe(0);
    expect(stored !== null && Object.hasOwn(stored, "checkedRules")).toBe(false);
  });

  it("with allow, the login's gate counts as a check of those rules, made now", async () => {
    const { harness, tokens } = await start();
    const before = Date.now();
    const { userId } = await loggedIn(harness);
    const stored = await tokens.get(userId, GRANT);
    expect(stored?.checkedAt).toBeGreaterThanOrEqual(before);
    expect(stored?.checkedRules).toMatch(/^[A-Za-z0-9_-]{22}$/);
  });
});
