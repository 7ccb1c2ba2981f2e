import { afterEach, describe, expect, it } from "@jest/globals";
import { login, setCookie, startHarness, type Harness } from "../helpers/harness.js";

let h: Harness;
afterEach(() => h?.close());

describe("the logout route", () => {
  it("is not mounted by default", async () => {
    h = await startHarness();
    expect((await h.agent().post("/logout")).status).toBe(404);
  });

  it("invalidates the session and clears its cookie", async () => {
    h = await startHarness({ router: { logoutPath: "/auth/logout", logoutRedirect: "/bye" } });
    const agent = h.agent();
    await login(agent);
    const { sessionId } = (await agent.get("/me")).body;
    const res = await agent.post("/auth/logout").set("Origin", "http://app.test");
    expect(res.status).toBe(303);
    expect(res.headers.location).toBe("/bye");
    expect(setCookie(res, "auth_session")).toMatch(/^auth_session=;.*Expires=Thu, 01 Jan 1970/);
    await expect(h.auth.validateSession(sessionId)).rejects.toThrow();
    expect((await agent.get("/me")).status).toBe(401);
  });

  it("behind a TLS proxy, without trust proxy, takes the https Origin of redirectUri", async () => {
    // Express sees http (no "trust proxy"), the browser sends Origin https://app.test: the check is
    // against redirectUri's origin, so docs/scaling.md's set-up needs no trust proxy for it.
    h = await startHarness({
      router: { logoutPath: "/logout", redirectUri: "https://app.test/login/bitbucket/callback" },
    });
    expect(h.app.get("trust proxy")).toBe(false);
    const post = (origin: string) =>
      h.agent().post("/logout").set({ Host: "app.test", "X-Forwarded-Proto": "https", Origin: origin });
    expect((await post("https://app.test")).status).toBe(303);
    const foreign = await post("https://evil.example");
    expect({ status: foreign.status, error: foreign.body.error }).toEqual({
      status: 403,
      error: "LOGOUT_ORIGIN_REJECTED",
    });
  });

  it('sends people to "/" when logoutRedirect is not set', async () => {
    h = await startHarness({ router: { logoutPath: "/logout" } });
    const agent = h.agent();
    await login(agent);
    const res = await agent.post("/logout").set("Origin", "http://app.test");
    expect(res.status).toBe(303);
    expect(res.headers.location).toBe("/");
    expect((await agent.get("/me")).status).toBe(401);
  });

  it.each([
    ["a foreign Origin", { Origin: "https://evil.example" }],
    ["Sec-Fetch-Site: cross-site", { "Sec-Fetch-Site": "cross-site" }],
  ])("refuses %s and keeps the session", async (_name, headers) => {
    h = await startHarness({ router: { logoutPath: "/logout" } });
    const agent = h.agent();
    await login(agent);
    const res = await agent.post("/logout").set(headers);
    expect(res.status).toBe(403);
    expect(res.body.error).toBe("LOGOUT_ORIGIN_REJECTED");
    expect((await agent.get("/me")).status).toBe(200);
  });
});
