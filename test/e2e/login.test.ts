import { afterEach, beforeEach, describe, expect, it } from "@jest/globals";
import {
  approveAtFake,
  beginLogin,
  login,
  setCookie,
  startHarness,
  STATE_COOKIE,
  type Harness,
} from "../helpers/harness.js";

describe("a whole login against the fake Bitbucket", () => {
  let h: Harness;
  beforeEach(async () => (h = await startHarness()));
  afterEach(() => h?.close());

  it("starts with a 302 to Bitbucket's authorize URL carrying the provider's parameters", async () => {
    const { res, authorizeUrl } = await beginLogin(h.agent());
    expect(res.status).toBe(302);
    const url = new URL(authorizeUrl);
    expect(url.origin + url.pathname).toBe("https://bitbucket.org/site/oauth2/authorize");
    expect(url.searchParams.get("client_id")).toBe("fake-client-id");
    expect(url.searchParams.get("response_type")).toBe("code");
    expect(url.searchParams.get("scope")).toBe("account");
    expect(url.searchParams.get("redirect_uri")).toBe("http://app.test/login/bitbucket/callback");
    expect(url.searchParams.get("state")).toMatch(/^[a-z0-9]{43}$/);
    expect(setCookie(res, STATE_COOKIE)).toBeDefined();
  });

  it("creates a new user with its key and one session, then lands on /", async () => {
    const agent = h.agent();
    const res = await login(agent);
    expect(res.status).toBe(302);
    expect(res.headers.location).toBe("/");
    expect(setCookie(res, "auth_session")).toMatch(/^auth_session=[a-z0-9]+;/);
    expect(await h.db.counts()).toEqual({ users: 1, keys: 1, sessions: 1 });
    const me = await agent.get("/me");
    expect(me.status).toBe(200);
    expect(me.body.userId).toEqual(expect.any(String));
  });

  it("signs a returning user into the same user, with a new session", async () => {
    const first = h.agent();
    await login(first);
    const firstMe = await first.get("/me");
    const second = h.agent();
    const res = await login(second);
    expect(res.status).toBe(302);
    const secondMe = await second.get("/me");
    expect(secondMe.body.userId).toBe(firstMe.body.userId);
    expect(secondMe.body.sessionId).not.toBe(firstMe.body.sessionId);
    expect(await h.db.counts()).toEqual({ users: 1, keys: 1, sessions: 2 });
  });

  it("refuses a replayed callback URL, with or without the old cookie jar", async () => {
    const agent = h.agent();
    const { authorizeUrl } = await beginLogin(agent);
    const callback = await approveAtFake(authorizeUrl);
    expect((await agent.get(callback)).status).toBe(302);
    const replaySameJar = await agent.get(callback);
    expect(replaySameJar.status).toBe(400);
    expect(replaySameJar.body.error).toBe("STATE_COOKIE_MISSING");
    const replayFreshJar = await h.agent().get(callback);
    expect(replayFreshJar.body.error).toBe("STATE_COOKIE_MISSING");
    expect(await h.db.counts()).toEqual({ users: 1, keys: 1, sessions: 1 });
  });
});
