// bitbucketForwardAuth answered as a reverse proxy asks it, on a real app, a real fake Cloud and
// real SQLite: statuses, identity headers, named rules, revocation, and what a check costs.
import { afterEach, describe, expect, it } from "@jest/globals";
import {
  memoryTokenStore,
  type BitbucketForwardAuthOptions,
  type BitbucketTokenStore,
} from "../../../src/index.js";
import { GRANT, type Agent, type Harness } from "../../helpers/harness.js";
import { rulesOutage, signedInAs, startForwardAuth } from "../../helpers/forward-auth-harness.js";

const rules = {
  docs: { workspaces: ["fake-team"] },
  ops: { workspaces: ["fake-team"], role: "owner" },
  handbook: { repositories: ["fake-team/handbook"] },
} as const;

let h: Harness | undefined;
afterEach(async () => {
  await h?.close();
  h = undefined;
});

/** Counts every call of a store, so a test can say "no write". */
function counted(store: BitbucketTokenStore) {
  const calls = { get: 0, save: 0, remove: 0 };
  const wrapped: BitbucketTokenStore = {
    get: (...a) => (calls.get++, store.get(...a)),
    save: (...a) => (calls.save++, store.save(...a)),
    remove: (...a) => (calls.remove++, store.remove(...a)),
  };
  return { store: wrapped, calls };
}

async function start(options: Partial<BitbucketForwardAuthOptions> = {}) {
  const { store: tokens, calls } = counted(memoryTokenStore());
  h = await startForwardAuth({ tokens, rules, options, router: { fetchEmail: true } });
  return { harness: h, calls };
}

const signedIn = async (harness: Harness, as = "ada"): Promise<Agent> =>
  (await signedInAs(harness, as)).agent;

describe("forward-auth: the check a proxy asks", () => {
  it("answers 200 with who was admitted, and by what, to a signed-in member", async () => {
    const { harness } = await start();
    const agent = await signedIn(harness);
    const me = (await agent.get("/me")).body.userId as string;
    const res = await agent.get("/_auth/check");
    expect(res.status).toBe(200);
    expect(res.headers["x-auth-request-user-id"]).toBe(me);
    expect(res.headers["x-auth-request-user"]).toBe("ada");
    expect(res.headers["x-auth-request-email"]).toBe("ada@fake-bitbucket.test");
    expect(res.headers["x-auth-request-workspace"]).toBe("fake-team");
    expect(res.headers["x-auth-request-role"]).toBe("member");
    expect(res.headers["x-auth-request-rule"]).toBeUndefined();
    expect(res.headers["cache-control"]).toBe("no-store");
    expect(res.text).toBe("");
  });

  it("answers 401 SIGN_IN_REQUIRED without a session, with a dead one, and to a HEAD", async () => {
    const { harness } = await start();
    const anonymous = await harness.agent().get("/_auth/check");
    expect({ status: anonymous.status, error: anonymous.body.error }).toEqual({
      status: 401,
      error: "SIGN_IN_REQUIRED",
    });
    const forged = await harness.agent().get("/_auth/check").set("Cookie", "auth_session=not-a-session");
    expect(forged.status).toBe(401);
    expect((await harness.agent().head("/_auth/check/docs")).status).toBe(401);
    // Only GET and HEAD are the check's: anything else is not for it.
    expect((await harness.agent().post("/_auth/check")).status).toBe(404);
  });

  it("applies a named rule on top of allow: 403 for a member who is not an owner, 200 for an owner", async () => {
    const { harness } = await start();
    const ada = await signedIn(harness, "ada");
    const refused = await ada.get("/_auth/check/ops");
    expect({ status: refused.status, error: refused.body.error }).toEqual({
      status: 403,
      error: "ACCESS_NOT_ALLOWED",
    });
    expect(refused.body.message).toContain('rule "ops"');
    // The member keeps their session: a rule is about one app, not about signing in.
    expect((await ada.get("/_auth/check/docs")).status).toBe(200);
    expect((await harness.db.counts()).sessions).toBe(1);
    const olga = await signedIn(harness, "olga");
    const res = await olga.get("/_auth/check/ops");
    expect(res.status).toBe(200);
    expect(res.headers["x-auth-request-rule"]).toBe("ops");
    expect(res.headers["x-auth-request-role"]).toBe("owner");
    const handbook = await ada.get("/_auth/check/handbook");
    expect(handbook.status).toBe(200);
    expect(handbook.headers["x-auth-request-repository"]).toBe("fake-team/handbook");
  });

  it("answers a rule that is not configured with 500 FORWARD_AUTH_RULE_UNKNOWN, never 200", async () => {
    const { harness } = await start();
    const agent = await signedIn(harness);
    for (const path of [
      "/_auth/check/opz",
      "/_auth/check/__proto__",
      "/_auth/check/toString",
      "/_auth/check/",
      "/_auth/redirect/Ops",
      "/_auth/check/docs/x",
    ]) {
      const res = await agent.get(path);
      expect({ path, status: res.status, error: res.body.error }).toEqual({
        path,
        status: 500,
        error: "FORWARD_AUTH_RULE_UNKNOWN",
      });
      expect(res.headers["x-auth-request-user-id"]).toBeUndefined();
    }
    expect((await agent.get("/_auth/check/opz")).body.message).toContain('"opz"');
  });

  it("ends every session of someone removed from the workspace, on the first check after the interval", async () => {
    const { harness } = await start({ interval: 0 });
    const agent = await signedIn(harness);
    expect((await agent.get("/_auth/check")).status).toBe(200);
    harness.fake.setWorkspaceRole("ada", "fake-team", null);
    const res = await agent.get("/_auth/check/docs");
    expect({ status: res.status, error: res.body.error }).toEqual({ status: 401, error: "ACCESS_REVOKED" });
    expect((await harness.db.counts()).sessions).toBe(0);
    expect(harness.fake.openRequests()).toBe(0);
    expect((await agent.get("/_auth/check")).body.error).toBe("SIGN_IN_REQUIRED");
  });

  it("costs no Bitbucket call and no write on a check whose rules held within the interval", async () => {
    const { harness, calls } = await start();
    const agent = await signedIn(harness);
    const atLogin = harness.fake.requests.length;
    expect((await agent.get("/_auth/check/docs")).status).toBe(200);
    // Its first use asked Bitbucket: a rule the login did not check is checked before a 200.
    expect(harness.fake.requests.length).toBeGreaterThan(atLogin);
    const before = { ...calls };
    const asked = harness.fake.requests.length;
    for (let i = 0; i < 5; i++) expect((await agent.get("/_auth/check/docs")).status).toBe(200);
    expect(calls).toEqual(before);
    expect(harness.fake.requests.length).toBe(asked);
  });

  it("sends a browser that is not signed in to the login, with the original path as returnTo", async () => {
    const { harness } = await start();
    const res = await harness
      .agent()
      .get("/_auth/redirect/docs")
      .set("X-Forwarded-Proto", "https")
      .set("X-Forwarded-Host", "docs.example.com")
      .set("X-Forwarded-Uri", "/page?x=1");
    expect(res.status).toBe(302);
    expect(res.headers.location).toBe("/login/bitbucket?returnTo=%2Fpage%3Fx%3D1");
    const bare = await harness.agent().get("/_auth/redirect");
    expect(bare.headers.location).toBe("/login/bitbucket");
  });

  it("answers a named rule that Bitbucket cannot be asked about as the outage, never a 403, and asks again next time", async () => {
    const { harness } = await start();
    const olga = await signedIn(harness, "olga");
    // The login's rule held at the login; the named one has never been asked.
    expect((await olga.get("/_auth/check")).status).toBe(200);
    rulesOutage(harness);
    const down = await olga.get("/_auth/check/ops");
    expect({ status: down.status, error: down.body.error }).toEqual({
      status: 502,
      error: "BITBUCKET_UNAVAILABLE",
    });
    expect(down.headers["x-auth-request-user-id"]).toBeUndefined();
    harness.fake.clearFaults();
    expect((await olga.get("/_auth/check/ops")).status).toBe(200);
    expect((await harness.db.counts()).sessions).toBe(1);
  });

  it("keeps a member signed in through an outage of the login's rule, up to maxStale", async () => {
    const { harness } = await start({ interval: 0, maxStale: 60_000 });
    const agent = await signedIn(harness);
    expect((await agent.get("/_auth/check")).status).toBe(200);
    rulesOutage(harness);
    const res = await agent.get("/_auth/check");
    expect(res.status).toBe(200);
    // What admitted them is the last answer that held.
    expect(res.headers["x-auth-request-workspace"]).toBe("fake-team");
    expect((await agent.get("/_auth/check")).status).toBe(200);
  });

  it("admits nobody who did not sign in through this Bitbucket, whatever their session", async () => {
    const { harness } = await start();
    const user = await harness.auth.createUser({
      key: { providerId: "email", providerUserId: "someone@example.com", password: null },
      attributes: { display_name: "Someone", avatar_url: null, email: null },
    });
    const session = await harness.auth.createSession({
      userId: user.userId,
      attributes: { user_agent: null },
    });
    const cookie = harness.auth.createSessionCookie(session).serialize();
    const res = await harness.agent().get("/_auth/check").set("Cookie", cookie);
    expect({ status: res.status, error: res.body.error }).toEqual({ status: 401, error: "SIGN_IN_REQUIRED" });
    // And again: such a user is never remembered as admitted.
    expect((await harness.agent().get("/_auth/check/docs").set("Cookie", cookie)).status).toBe(401);
    expect((await harness.db.counts()).sessions).toBe(1);
  });

  it("sends a stranger back only to an allowed host, whatever X-Forwarded-* they send straight to the check", async () => {
    const { harness } = await start({
      loginUrl: "https://auth.example.com/login/bitbucket",
      returnToHosts: ["*.example.com"],
    });
    const ask = (headers: Record<string, string>) => harness.agent().get("/_auth/redirect/docs").set(headers);
    const kept = await ask({
      "X-Forwarded-Proto": "https",
      "X-Forwarded-Host": "docs.example.com",
      "X-Forwarded-Uri": "/a?b=1",
    });
    expect(kept.status).toBe(302);
    expect(kept.headers.location).toBe(
      "https://auth.example.com/login/bitbucket?returnTo=https%3A%2F%2Fdocs.example.com%2Fa%3Fb%3D1",
    );
    for (const forged of [
      { "X-Forwarded-Proto": "https", "X-Forwarded-Host": "evil.test", "X-Forwarded-Uri": "/" },
      {
        "X-Forwarded-Proto": "https",
        "X-Forwarded-Host": "docs.example.com.evil.test",
        "X-Forwarded-Uri": "/",
      },
      { "X-Forwarded-Proto": "http", "X-Forwarded-Host": "docs.example.com", "X-Forwarded-Uri": "/" },
      {
        "X-Forwarded-Proto": "https",
        "X-Forwarded-Host": "docs.example.com",
        "X-Forwarded-Uri": "//evil.test",
      },
      {
        "X-Forwarded-Proto": "https",
        "X-Forwarded-Host": "docs.example.com@evil.test",
        "X-Forwarded-Uri": "/",
      },
    ]) {
      const res = await ask(forged);
      expect({ forged, status: res.status, location: res.headers.location }).toEqual({
        forged,
        status: 302,
        location: "https://auth.example.com/login/bitbucket",
      });
    }
    // And a signed-in member's check is the same whatever they forge: it reads no X-Forwarded-*.
    const agent = await signedIn(harness);
    const res = await agent
      .get("/_auth/check/ops")
      .set({ "X-Forwarded-Host": "docs.example.com", "X-Auth-Request-Role": "owner" });
    expect(res.status).toBe(403);
  });

  it("keeps the user's tokens and account in their row: the router stores name and email at login", async () => {
    const tokens = memoryTokenStore();
    h = await startForwardAuth({ tokens, rules, router: { fetchEmail: true } });
    const agent = await signedIn(h);
    const userId = (await agent.get("/me")).body.userId as string;
    expect((await tokens.get(userId, GRANT))?.account).toEqual({
      name: "ada",
      email: "ada@fake-bitbucket.test",
    });
  });
});
