import { afterAll, beforeAll, describe, expect, it } from "@jest/globals";
import { format } from "node:util";
import createDebug from "debug";
import request from "supertest";
import { approvedCallback, buildApp, startHarness, type Harness } from "../helpers/harness.js";

describe("DEBUG=express-lucia-bitbucket*", () => {
  const lines: string[] = [];
  let h: Harness;
  let tokens = "";
  beforeAll(async () => {
    createDebug.enable("express-lucia-bitbucket*");
    createDebug.log = (...args: unknown[]) => void lines.push(format(...args));
    h = await startHarness({
      router: { onSuccess: ({ bitbucketTokens: t }) => void (tokens = `${t.accessToken}|${t.refreshToken}`) },
    });
  });
  afterAll(async () => {
    createDebug.disable();
    // `?.`: when the harness failed to start, its own error is the one to read.
    await h?.close();
  });

  it("shows each step of a login, without secrets, codes or tokens", async () => {
    const agent = h.agent();
    const callback = new URL(await approvedCallback(agent), "http://x");
    expect((await agent.get(callback.pathname + callback.search)).status).toBe(302);
    expect(lines.join("\n")).toMatch(
      /login: redirecting[\s\S]*state checked[\s\S]*created a new user[\s\S]*signed in/,
    );
    const all = lines.join("\n");
    const [access, refresh] = tokens.split("|");
    for (const secret of ["fake-client-secret", callback.searchParams.get("code"), access, refresh]) {
      expect(secret).toBeTruthy();
      expect(all).not.toContain(secret);
    }
  });

  it("says how to fix a missing cookie secret, at the first request", async () => {
    lines.length = 0;
    const app = buildApp(h.auth, { cookieSecret: null });
    expect((await request(app).get("/login/bitbucket")).status).toBe(500);
    expect(lines.join("\n")).toContain(
      "login failed: COOKIE_SECRET_MISSING: No secret to sign the login state cookie: mount app.use(cookieParser(secret)) before bitbucketRouter(), or pass the cookieSecret option.",
    );
  });

  it("logs the access gate's refusal by its code, without the client secret or any bearer token", async () => {
    lines.length = 0;
    const gated = await startHarness({ router: { allow: { workspaces: ["other-team"] } } });
    try {
      const agent = gated.agent();
      const res = await agent.get(await approvedCallback(agent));
      expect(res.status).toBe(403);
      const all = lines.join("\n");
      expect(all).toContain("login failed: ACCESS_NOT_ALLOWED");
      // Only a missing cookie secret logs its message; a refusal's reason stays out of the log.
      expect(all).not.toContain("login failed: ACCESS_NOT_ALLOWED:");
      expect(all).not.toMatch(/fake-client-secret|Bearer/);
    } finally {
      await gated.close();
    }
  });
});
