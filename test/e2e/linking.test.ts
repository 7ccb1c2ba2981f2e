import { afterEach, describe, expect, it } from "@jest/globals";
import request from "supertest";
import type { BitbucketSuccessContext } from "../../src/index.js";
import type { Adapter } from "lucia";
import type { AppAuth } from "../../example-server/lucia.js";
import { DEFAULT_FAKE_USER } from "../../src/testing/index.js";
import {
  approveAtFake,
  beginLink,
  beginLogin,
  link,
  login,
  setCookie,
  STATE_COOKIE,
  startHarness,
  type Agent,
  type Harness,
} from "../helpers/harness.js";

const SECOND = {
  uuid: "{bbbbbbbb-0000-4000-8000-000000000002}",
  display_name: "Second Account",
  nickname: "second",
};
const ADA = DEFAULT_FAKE_USER.uuid;
let h: Harness;
let successes: BitbucketSuccessContext<AppAuth>[];
afterEach(() => h?.close());

async function start(router: Parameters<typeof startHarness>[0] = {}) {
  successes = [];
  h = await startHarness({
    ...router,
    router: { onSuccess: (ctx) => void successes.push(ctx), ...router.router },
  });
  h.fake.addUser(SECOND);
}
const me = async (agent: Agent) => (await agent.get("/me")).body as { userId: string; sessionId: string };
const keysOf = async (userId: string) =>
  (await h.auth.getAllUserKeys(userId)).map((k) => k.providerUserId).sort();
/** The `name=value` pairs a response set, for a hand-built Cookie header. */
const cookiePairs = (res: { headers: Record<string, unknown> }) =>
  ((res.headers["set-cookie"] as string[] | undefined) ?? []).map((l) => l.split(";")[0]).join("; ");

describe("linking on purpose: POST /login/bitbucket/link", () => {
  it("links the second Bitbucket account to the signed-in user, with a fresh session", async () => {
    await start();
    const agent = h.agent();
    await login(agent);
    const before = await me(agent);
    h.fake.setDefaultUser(SECOND.uuid);
    const res = await link(agent);
    expect(res.status).toBe(302);
    const after = await me(agent);
    expect(after.userId).toBe(before.userId);
    expect(after.sessionId).not.toBe(before.sessionId);
    expect(await keysOf(before.userId)).toEqual([ADA, SECOND.uuid].sort());
    expect(await h.db.counts()).toEqual({ users: 1, keys: 2, sessions: 1 });
    expect(successes.map((s) => [s.isNewUser, s.isLinked])).toEqual([
      [true, false],
      [false, true],
    ]);
  });

  it("starts with a 303 to Bitbucket, no-store, and a state cookie", async () => {
    await start();
    const agent = h.agent();
    await login(agent);
    const { res, authorizeUrl } = await beginLink(agent);
    expect(res.status).toBe(303);
    expect(new URL(authorizeUrl ?? "").origin).toBe("https://bitbucket.org");
    expect(res.headers["cache-control"]).toBe("no-store");
    expect(setCookie(res, STATE_COOKIE)).toMatch(/HttpOnly/);
  });

  it("is a no-op for an account already linked to this same user", async () => {
    await start();
    const agent = h.agent();
    await login(agent);
    const res = await link(agent);
    expect(res.status).toBe(302);
    expect([successes.at(-1)?.isNewUser, successes.at(-1)?.isLinked]).toEqual([false, false]);
    expect(await h.db.counts()).toEqual({ users: 1, keys: 1, sessions: 1 });
  });

  it("refuses an account linked to another user, and leaves both users as they are", async () => {
    await start();
    const owner = h.agent();
    h.fake.setDefaultUser(SECOND.uuid);
    await login(owner);
    const other = h.agent();
    h.fake.setDefaultUser(ADA);
    await login(other);
    const otherMe = await me(other);
    const before = await h.db.counts();

    h.fake.setDefaultUser(SECOND.uuid);
    const res = await link(other);
    expect(res.status).toBe(409);
    expect(res.body.error).toBe("ACCOUNT_ALREADY_LINKED");
    expect(await h.db.counts()).toEqual(before);
    expect((await me(other)).sessionId).toBe(otherMe.sessionId);
    expect(await keysOf(otherMe.userId)).toEqual([ADA]);
  });

  it("needs a valid session: LINK_REQUIRES_SESSION (401), with no state cookie", async () => {
    await start();
    for (const cookie of [undefined, "auth_session=not-a-session"]) {
      const req = request(h.app).post("/login/bitbucket/link");
      const res = await (cookie ? req.set("Cookie", cookie) : req);
      expect({ status: res.status, error: res.body.error }).toEqual({
        status: 401,
        error: "LINK_REQUIRES_SESSION",
      });
      expect(setCookie(res, STATE_COOKIE)).toBeUndefined();
    }
  });

  it.each([
    [{ Origin: "https://evil.test" }],
    [{ "Sec-Fetch-Site": "cross-site" }],
    [{ "Sec-Fetch-Site": "same-site" }],
  ])("refuses a cross-site link start %j: LINK_ORIGIN_REJECTED (403)", async (headers) => {
    await start();
    const agent = h.agent();
    await login(agent);
    const { res } = await beginLink(agent, headers);
    expect({ status: res.status, error: res.body.error }).toEqual({
      status: 403,
      error: "LINK_ORIGIN_REJECTED",
    });
    expect(setCookie(res, STATE_COOKIE)).toBeUndefined();
  });

  it("allows a same-origin link start (Origin of redirectUri, Sec-Fetch-Site: same-origin)", async () => {
    await start();
    const agent = h.agent();
    await login(agent);
    const { res } = await beginLink(agent, { Origin: "http://app.test", "Sec-Fetch-Site": "same-origin" });
    expect(res.status).toBe(303);
  });

  it("refuses a link finished under another session: LINK_SESSION_MISMATCH, nothing written", async () => {
    await start();
    const agent = h.agent();
    await login(agent);
    const first = await me(agent);
    h.fake.setDefaultUser(SECOND.uuid);
    const { authorizeUrl } = await beginLink(agent);
    const callback = await approveAtFake(authorizeUrl ?? "");
    // The same browser signs in again (a new session) before the link comes back.
    h.fake.setDefaultUser(ADA);
    await login(agent);
    const before = await h.db.counts();
    const res = await agent.get(callback);
    expect({ status: res.status, error: res.body.error }).toEqual({
      status: 403,
      error: "LINK_SESSION_MISMATCH",
    });
    expect(setCookie(res, "auth_session")).toBeUndefined();
    expect(await h.db.counts()).toEqual(before);
    expect(await keysOf(first.userId)).toEqual([ADA]);
  });

  it("refuses a link whose session was signed out in between", async () => {
    await start({ router: { logoutPath: "/logout" } });
    const agent = h.agent();
    await login(agent);
    const { authorizeUrl } = await beginLink(agent);
    const callback = await approveAtFake(authorizeUrl ?? "");
    await agent.post("/logout");
    const res = await agent.get(callback);
    expect(res.body.error).toBe("LINK_SESSION_MISMATCH");
  });

  it("can be turned off with linkPath: false", async () => {
    await start({ router: { linkPath: false } });
    const agent = h.agent();
    await login(agent);
    const { res } = await beginLink(agent);
    expect(res.status).toBe(404);
  });
});

describe("an ordinary login never links", () => {
  it("signs the second account in as its own user, even while another user is signed in", async () => {
    await start();
    const agent = h.agent();
    await login(agent);
    const first = await me(agent);
    h.fake.setDefaultUser(SECOND.uuid);
    await login(agent);
    const second = await me(agent);
    expect(second.userId).not.toBe(first.userId);
    expect(await keysOf(first.userId)).toEqual([ADA]);
    await expect(h.auth.validateSession(first.sessionId)).rejects.toThrow();
    expect(await h.db.counts()).toEqual({ users: 2, keys: 2, sessions: 1 });
  });
});

describe("account takeover through a planted cookie (the review's variants)", () => {
  /**
   * Ada (the victim) is signed in; the attacker, with the SECOND Bitbucket account, starts a flow
   * of their own (`begin`) and keeps its state cookie and approved callback URL.
   */
  async function plantedFlow(
    begin: (attacker: Agent) => Promise<{ res: { headers: Record<string, unknown> }; authorizeUrl?: string }>,
  ) {
    await start();
    const victim = h.agent();
    await login(victim);
    const victimMe = await me(victim);
    h.fake.setDefaultUser(SECOND.uuid);
    const { res: started, authorizeUrl } = await begin(h.agent());
    const callback = await approveAtFake(authorizeUrl ?? "");
    const before = await h.db.counts();
    // Planted in the victim's browser (a sibling subdomain or plain-http page could set it on http).
    const res = await request(h.app)
      .get(callback)
      .set("Cookie", `auth_session=${victimMe.sessionId}; ${cookiePairs(started)}`);
    return { victimMe, before, res };
  }

  it("A: the attacker's planted state cookie + a signed-in victim gives no key on the victim's user", async () => {
    const { victimMe, res } = await plantedFlow((attacker) => beginLogin(attacker));
    expect(res.status).toBe(302);
    expect(await keysOf(victimMe.userId)).toEqual([ADA]);
    expect(await h.db.counts()).toMatchObject({ users: 2, keys: 2 });
  });

  it("A, as a link: an attacker's link state under the attacker's session fails under the victim's", async () => {
    const { victimMe, before, res } = await plantedFlow(async (attacker) => {
      await login(attacker);
      return beginLink(attacker);
    });
    expect({ status: res.status, error: res.body.error }).toEqual({
      status: 403,
      error: "LINK_SESSION_MISMATCH",
    });
    expect(await keysOf(victimMe.userId)).toEqual([ADA]);
    expect(await h.db.counts()).toEqual(before);
  });

  it("B: the attacker's planted session + the victim's ordinary login gives no key on the attacker's user", async () => {
    await start();
    h.fake.setDefaultUser(SECOND.uuid);
    const attacker = h.agent();
    await login(attacker);
    const attackerMe = await me(attacker);
    // The victim's browser carries the attacker's session cookie, and logs in with Bitbucket.
    h.fake.setDefaultUser(ADA);
    const { res: started, authorizeUrl } = await beginLogin(h.agent());
    const callback = await approveAtFake(authorizeUrl);
    const res = await request(h.app)
      .get(callback)
      .set("Cookie", `auth_session=${attackerMe.sessionId}; ${cookiePairs(started)}`);
    expect(res.status).toBe(302);
    expect(await keysOf(attackerMe.userId)).toEqual([SECOND.uuid]);
    const victimKey = await h.auth.getKey("bitbucket", ADA);
    expect(victimKey.userId).not.toBe(attackerMe.userId);
    // The planted session did not survive the login either (fixation defence).
    await expect(h.auth.validateSession(attackerMe.sessionId)).rejects.toThrow();
  });
});

describe("a link that races another writer for the same Bitbucket account", () => {
  const THIRD = { uuid: "{bbbbbbbb-0000-4000-8000-000000000003}", display_name: "Third", nickname: "third" };
  let competitor: () => Promise<unknown> = async () => undefined;
  /** Lets `competitor` write between the callback's "is this account linked?" read and its own write. */
  const interleave = (real: Adapter): Adapter => {
    let armed = true;
    const getKey: Adapter["getKey"] = async (keyId) => {
      const key = await real.getKey(keyId);
      if (armed && key === null && keyId === `bitbucket:${SECOND.uuid}`) {
        armed = false;
        await competitor();
      }
      return key;
    };
    return new Proxy(real, {
      get: (target, prop, receiver) => (prop === "getKey" ? getKey : Reflect.get(target, prop, receiver)),
    });
  };
  const linkKey = (userId: string) => () =>
    h.auth.createKey({ userId, providerId: "bitbucket", providerUserId: SECOND.uuid, password: null });

  it("lost to the same signed-in user (another tab) ends linked once, with no error", async () => {
    await start({ adapter: interleave });
    const agent = h.agent();
    await login(agent);
    const { userId } = await me(agent);
    competitor = linkKey(userId);
    h.fake.setDefaultUser(SECOND.uuid);
    const res = await link(agent);
    expect(res.status).toBe(302);
    expect((await me(agent)).userId).toBe(userId);
    expect(await keysOf(userId)).toEqual([ADA, SECOND.uuid].sort());
    expect(await h.db.counts()).toEqual({ users: 1, keys: 2, sessions: 1 });
    // The other tab wrote the link, so this callback reports no link of its own.
    expect([successes.at(-1)?.isNewUser, successes.at(-1)?.isLinked]).toEqual([false, false]);
    expect(h.errors).toEqual([]);
  });

  it("lost to another user is ACCOUNT_ALREADY_LINKED, and the signed-in user stays who they were", async () => {
    await start({ adapter: interleave });
    h.fake.addUser(THIRD);
    const other = h.agent();
    h.fake.setDefaultUser(THIRD.uuid);
    await login(other);
    const otherId = (await me(other)).userId;
    h.fake.setDefaultUser(ADA);
    const agent = h.agent();
    await login(agent);
    const { userId } = await me(agent);
    competitor = linkKey(otherId);
    h.fake.setDefaultUser(SECOND.uuid);
    const res = await link(agent);
    expect(res.status).toBe(409);
    expect(res.body.error).toBe("ACCOUNT_ALREADY_LINKED");
    expect((await me(agent)).userId).toBe(userId);
    expect(await keysOf(userId)).toEqual([ADA]);
    expect(await keysOf(otherId)).toEqual([SECOND.uuid, THIRD.uuid].sort());
    expect(await h.db.counts()).toEqual({ users: 2, keys: 3, sessions: 2 });
  });

  it("whose write fails with no other writer is USER_CREATION_FAILED, with nothing written", async () => {
    await start();
    const agent = h.agent();
    await login(agent);
    const { userId } = await me(agent);
    await h.db.exec(
      "CREATE TRIGGER fail_key BEFORE INSERT ON user_key BEGIN SELECT RAISE(ABORT, 'injected'); END;",
    );
    h.fake.setDefaultUser(SECOND.uuid);
    const res = await link(agent);
    expect(res.status).toBe(500);
    expect(res.body.error).toBe("USER_CREATION_FAILED");
    expect((await me(agent)).userId).toBe(userId);
    expect(await h.db.counts()).toEqual({ users: 1, keys: 1, sessions: 1 });
  });
});
