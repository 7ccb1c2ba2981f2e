import { afterEach, describe, expect, it } from "@jest/globals";
import { BitbucketAuthError, type BitbucketSuccessContext } from "../../src/index.js";
import type { AppAuth } from "../../example-server/lucia.js";
import { login, setCookie, startHarness, type Harness } from "../helpers/harness.js";
import { expectRefused } from "../helpers/assertions.js";

let h: Harness;
afterEach(() => h?.close());

describe("getUserAttributes", () => {
  it("fills the new user's columns from Bitbucket, and works without `username`", async () => {
    h = await startHarness({
      router: {
        getUserAttributes: (bb) => ({
          display_name: bb.display_name,
          avatar_url: "href" in bb.links.avatar ? bb.links.avatar.href : null,
        }),
      },
    });
    const agent = h.agent();
    await login(agent);
    const me = await agent.get("/me");
    expect(me.body.displayName).toBe("Ada Fake");
    const user = await h.auth.getUser(me.body.userId);
    expect(user.avatarUrl).toMatch(/^data:image\/svg\+xml/);
  });

  it("defaults to no attributes at all", async () => {
    h = await startHarness();
    const agent = h.agent();
    await login(agent);
    const user = await h.auth.getUser((await agent.get("/me")).body.userId);
    expect(user).toEqual({ userId: expect.any(String), displayName: null, avatarUrl: null, email: null });
  });
});

describe("createUser (full override)", () => {
  it("keeps a coded error it throws as final, even once the account has a user", async () => {
    h = await startHarness({
      router: {
        // An app that creates first and checks an invitation after, then refuses.
        createUser: async ({ bitbucketUserAuth }) => {
          await bitbucketUserAuth.createUser({ attributes: {} });
          throw new BitbucketAuthError("SIGN_UP_REFUSED", "Sign-up is by invitation only.");
        },
      },
    });
    const res = await login(h.agent());
    expect(res.status).toBe(403);
    expect(res.body).toMatchObject({ error: "SIGN_UP_REFUSED", message: "Sign-up is by invitation only." });
    expect((await h.db.counts()).sessions).toBe(0);
  });

  it("refuses sign-ups by returning null: SIGN_UP_REFUSED and nothing written", async () => {
    h = await startHarness({ router: { createUser: () => null } });
    await expectRefused(h, await login(h.agent()), "SIGN_UP_REFUSED", 403);
  });

  it("links by email to an existing user, knowingly", async () => {
    h = await startHarness({
      router: {
        fetchEmail: true,
        createUser: async ({ email, bitbucketUserAuth }) => {
          const existing = email === "ada@fake-bitbucket.test" ? await h.auth.getUser("existing-ada") : null;
          if (!existing) return null;
          await bitbucketUserAuth.createKey(existing.userId);
          return existing;
        },
      },
    });
    await h.auth.createUser({
      userId: "existing-ada",
      key: null,
      attributes: { email: "ada@fake-bitbucket.test" },
    });
    const agent = h.agent();
    expect((await login(agent)).status).toBe(302);
    expect((await agent.get("/me")).body.userId).toBe("existing-ada");
    expect(await h.db.counts()).toEqual({ users: 1, keys: 1, sessions: 1 });
  });

  it("is not called for a returning user", async () => {
    let calls = 0;
    h = await startHarness({
      router: {
        createUser: ({ bitbucketUserAuth }) => (calls++, bitbucketUserAuth.createUser({ attributes: {} })),
      },
    });
    await login(h.agent());
    await login(h.agent());
    expect(calls).toBe(1);
  });
});

describe("getSessionAttributes", () => {
  it("stores the attributes on the new session", async () => {
    h = await startHarness({
      router: {
        getSessionAttributes: ({ req, user }) => ({
          user_agent: `${req.get("user-agent")}|${user.userId.length}`,
        }),
      },
    });
    const agent = h.agent().set("User-Agent", "jest-agent");
    await login(agent);
    const sessions = await h.auth.getAllUserSessions((await agent.get("/me")).body.userId);
    expect(sessions.map((s) => s.userAgent)).toEqual([expect.stringMatching(/^jest-agent\|\d+$/)]);
  });
});

describe("onSuccess", () => {
  it("receives the user, session, isNewUser, bitbucketUser and bitbucketTokens", async () => {
    const seen: BitbucketSuccessContext<AppAuth>[] = [];
    h = await startHarness({ router: { onSuccess: (ctx) => void seen.push(ctx) } });
    await login(h.agent());
    await login(h.agent());
    expect(seen.map((s) => [s.isNewUser, s.isLinked])).toEqual([
      [true, false],
      [false, false],
    ]);
    const [first] = seen;
    expect(first?.user.userId).toBe(first?.session.user.userId);
    expect(first?.bitbucketUser.uuid).toBe("{4a2f6c1e-8b7d-4e0a-9c3f-1d2e3f4a5b6c}");
    expect(first?.bitbucketTokens).toEqual({
      accessToken: expect.any(String),
      refreshToken: expect.any(String),
      accessTokenExpiresIn: 7200,
    });
    expect(first?.redirectTo).toBe("/");
  });

  it("may answer itself, and the router then does not redirect", async () => {
    h = await startHarness({
      router: { onSuccess: ({ res, isNewUser }) => void res.status(200).json({ welcome: isNewUser }) },
    });
    const res = await login(h.agent());
    expect(res.status).toBe(200);
    expect(res.body).toEqual({ welcome: true });
    expect(setCookie(res, "auth_session")).toBeDefined();
  });

  it("fails the login when it throws, revoking the new session", async () => {
    h = await startHarness({
      router: {
        onSuccess: () => {
          throw new Error("token store down");
        },
      },
    });
    const res = await login(h.agent());
    expect(res.status).toBe(500);
    expect(res.body.error).toBe("SESSION_CREATION_FAILED");
    expect(res.body.message).toBe("The onSuccess hook failed; the new session was revoked.");
    expect(((h.errors[0] as Error).cause as Error).message).toBe("token store down");
    expect(setCookie(res, "auth_session")).toMatch(/^auth_session=;/);
    expect((await h.db.counts()).sessions).toBe(0);
  });
});

describe("failureRedirect", () => {
  it("sends failures to the page with ?error=CODE instead of next(err)", async () => {
    h = await startHarness({
      fake: { decision: "deny" },
      router: { failureRedirect: "/login?from=bitbucket" },
    });
    const res = await login(h.agent());
    expect(res.status).toBe(302);
    expect(res.headers.location).toBe("/login?from=bitbucket&error=ACCESS_DENIED");
    expect(setCookie(res, "bitbucket_oauth_state")).toMatch(/^bitbucket_oauth_state\.[\w-]{10}=;/);
  });
});
