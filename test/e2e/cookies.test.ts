import { afterEach, describe, expect, it } from "@jest/globals";
import express from "express";
import request from "supertest";
import signature from "cookie-signature";
import { bitbucketErrorHandler, bitbucketRouter } from "../../src/index.js";
import {
  COOKIE_SECRET,
  approvedCallback,
  buildApp,
  beginLogin,
  approveAtFake,
  login,
  setCookie,
  startHarness,
  STATE_COOKIE,
  stateCookieFor,
  type Harness,
  harnessPending,
} from "../helpers/harness.js";

let h: Harness;
afterEach(() => h?.close());

describe("the state cookie", () => {
  it("is signed, HttpOnly, SameSite=Lax, scoped to the login routes, named after its state and lives 10 minutes", async () => {
    h = await startHarness();
    const { res, authorizeUrl } = await beginLogin(h.agent());
    const line = setCookie(res, STATE_COOKIE) ?? "";
    const state = new URL(authorizeUrl).searchParams.get("state") ?? "";
    expect(line.startsWith(`${stateCookieFor(state)}=s%3A`)).toBe(true);
    expect(line).toContain("HttpOnly");
    expect(line).toContain("SameSite=Lax");
    expect(line).toContain("Path=/login/bitbucket;");
    expect(line).toContain("Max-Age=600;");
    expect(line).not.toContain("Secure");
    const expires = Date.parse(/Expires=([^;]+)/.exec(line)?.[1] ?? "");
    expect(expires - Date.now()).toBeGreaterThan(590_000);
    expect(expires - Date.now()).toBeLessThanOrEqual(601_000);
  });

  it("is a __Host- cookie when redirectUri is https: Secure, Path=/, no Domain", async () => {
    h = await startHarness({ router: { redirectUri: "https://app.test/login/bitbucket/callback" } });
    const { res } = await beginLogin(h.agent());
    const lines = (res.headers["set-cookie"] as unknown as string[]) ?? [];
    expect(lines).toHaveLength(1);
    const line = lines[0] ?? "";
    expect(line).toMatch(/^__Host-bitbucket_oauth_state\.[\w-]{10}=s%3A/);
    expect(line).toContain("; Path=/;");
    expect(line).toContain("; Secure");
    expect(line).toContain("; HttpOnly");
    expect(line).not.toMatch(/Domain=/i);
  });

  it("is cleared by the callback on success", async () => {
    h = await startHarness();
    const res = await login(h.agent());
    expect(res.status).toBe(302);
    expect(setCookie(res, STATE_COOKIE)).toMatch(
      /^bitbucket_oauth_state\.[\w-]{10}=;.*Expires=Thu, 01 Jan 1970/,
    );
  });

  it("can be signed with the cookieSecret option when cookieParser has no secret", async () => {
    h = await startHarness({ cookieSecret: null, router: { cookieSecret: "option-secret" } });
    const agent = h.agent();
    const { res } = await beginLogin(agent);
    const value = decodeURIComponent(
      /^bitbucket_oauth_state\.[\w-]{10}=([^;]+)/.exec(setCookie(res, STATE_COOKIE) ?? "")?.[1] ?? "",
    );
    expect(signature.unsign(value.slice(2), "option-secret")).not.toBe(false);
    const done = await agent.get(await approveAtFake(res.headers.location as string));
    expect(done.status).toBe(302);
    expect(await h.db.counts()).toEqual({ users: 1, keys: 1, sessions: 1 });
  });

  it("refuses to start without any secret, naming the fix, and sets no cookie", async () => {
    h = await startHarness({ cookieSecret: null });
    const res = await h.agent().get("/login/bitbucket");
    expect(res.status).toBe(500);
    expect(res.body.error).toBe("COOKIE_SECRET_MISSING");
    expect(res.body.message).toContain("cookieParser(secret)");
    expect(setCookie(res, STATE_COOKIE)).toBeUndefined();
  });

  it("refuses to start when cookie-parser is not mounted at all", async () => {
    h = await startHarness();
    const bare = express()
      .use(
        bitbucketRouter(h.auth, {
          clientId: "id",
          clientSecret: "s",
          redirectUri: "http://app.test/login/bitbucket/callback",
        }),
      )
      .use(bitbucketErrorHandler());
    const res = await request(bare).get("/login/bitbucket/callback?state=a&code=b");
    expect(res.body.error).toBe("COOKIE_SECRET_MISSING");
  });

  it("still completes after secret rotation: signed with the old secret, read with [new, old]", async () => {
    h = await startHarness({ cookieSecret: "old-secret" });
    const { res } = await beginLogin(h.agent());
    const stateCookie = (setCookie(res, STATE_COOKIE) ?? "").split(";")[0] ?? "";
    const callback = await approveAtFake(res.headers.location as string);
    const rotated = buildApp(h.auth, { cookieSecret: ["new-secret", "old-secret"] });
    const done = await request(rotated).get(callback).set("Cookie", stateCookie);
    expect(done.status).toBe(302);
    expect(setCookie(done, "auth_session")).toBeDefined();
    const dropped = buildApp(h.auth, { cookieSecret: ["new-secret"] });
    const refused = await request(dropped).get(callback).set("Cookie", stateCookie);
    expect(refused.body.error).toBe("STATE_COOKIE_INVALID");
  });

  it("expires: a cookie older than stateMaxAge is refused with STATE_EXPIRED", async () => {
    h = await startHarness({ router: { stateMaxAge: 1000 } });
    const agent = h.agent();
    const callback = await approvedCallback(agent);
    // supertest's jar drops expired cookies as a browser does, so replay a validly signed, old value by hand.
    const state = new URL(callback, "http://x").searchParams.get("state") ?? "";
    const value = signature.sign(
      harnessPending({ state, issuedAt: Date.now() - 1100, returnTo: null, link: null }),
      COOKIE_SECRET,
    );
    const res = await request(h.app)
      .get(callback)
      .set("Cookie", `${stateCookieFor(state)}=${encodeURIComponent(`s:${value}`)}`);
    expect(res.status).toBe(400);
    expect(res.body.error).toBe("STATE_EXPIRED");
    expect(await h.db.counts()).toEqual({ users: 0, keys: 0, sessions: 0 });
  });
});

describe("the session cookie", () => {
  it("is Lucia's, HttpOnly and SameSite=Lax, and a fresh one replaces a planted session", async () => {
    h = await startHarness();
    const agent = h.agent();
    await login(agent);
    const before = (await agent.get("/me")).body.sessionId as string;
    const res = await login(agent);
    const line = setCookie(res, "auth_session") ?? "";
    expect(line).toContain("HttpOnly");
    expect(line).toMatch(/SameSite=Lax/i);
    const after = (await agent.get("/me")).body.sessionId as string;
    expect(after).not.toBe(before);
    await expect(h.auth.validateSession(before)).rejects.toThrow("AUTH_INVALID_SESSION_ID");
    expect(await h.db.counts()).toEqual({ users: 1, keys: 1, sessions: 1 });
  });
});
