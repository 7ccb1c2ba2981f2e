import { afterEach, describe, expect, it } from "@jest/globals";
import {
  approvedCallback,
  login,
  startHarness,
  stateCookieFor,
  type Harness,
  type HarnessOptions,
} from "../helpers/harness.js";
import { expectRefused } from "../helpers/assertions.js";
import { harnessPending, setCookie, STATE_COOKIE } from "../helpers/harness.js";

let h: Harness;
const start = async (options?: HarnessOptions) => (h = await startHarness(options));
afterEach(() => h?.close());

/** An approved callback as a URL, so one part of it can be changed. */
async function editableCallback(agent = h.agent()) {
  return { agent, callback: new URL(await approvedCallback(agent), "http://app.test") };
}

describe("the state check", () => {
  it("refuses a callback without the state cookie", async () => {
    await start();
    const res = await h.agent().get("/login/bitbucket/callback?code=abc&state=xyz");
    await expectRefused(h, res, "STATE_COOKIE_MISSING", 400);
    expect(h.fake.hits.token).toBe(0);
  });

  it("refuses a state that differs from the cookie", async () => {
    await start();
    const { agent, callback } = await editableCallback();
    callback.searchParams.set("state", "a".repeat(43));
    await expectRefused(h, await agent.get(callback.pathname + callback.search), "STATE_MISMATCH", 400);
  });

  it("refuses a missing or repeated state parameter, and leaves that login's cookie alone", async () => {
    await start();
    for (const mutate of [
      (u: URL) => u.searchParams.delete("state"),
      (u: URL) => u.searchParams.append("state", "x"),
    ]) {
      const { agent, callback } = await editableCallback();
      mutate(callback);
      const res = await agent.get(callback.pathname + callback.search);
      expect({ status: res.status, error: res.body.error }).toEqual({ status: 400, error: "STATE_MISMATCH" });
      // No single state names a cookie, so none is cleared: a callback clears only its own.
      expect(setCookie(res, STATE_COOKIE)).toBeUndefined();
      expect(await h.db.counts()).toEqual({ users: 0, keys: 0, sessions: 0 });
    }
  });

  it("refuses a tampered or unsigned state cookie", async () => {
    await start();
    const { callback } = await editableCallback();
    const state = callback.searchParams.get("state");
    const forged = encodeURIComponent(
      harnessPending({ state: state ?? "", issuedAt: Date.now(), returnTo: null, link: null }),
    );
    for (const value of [forged, `s%3A${forged}.bad-signature`]) {
      const res = await h
        .agent()
        .get(callback.pathname + callback.search)
        .set("Cookie", `${stateCookieFor(state ?? "")}=${value}`);
      await expectRefused(h, res, "STATE_COOKIE_INVALID", 400);
    }
  });
});

describe("Bitbucket's answer on the redirect", () => {
  it("stops at ?error=access_denied and exchanges nothing", async () => {
    await start({ fake: { decision: "deny" } });
    const res = await login(h.agent());
    await expectRefused(h, res, "ACCESS_DENIED", 403);
    expect(h.fake.hits.token).toBe(0);
  });

  it("reports any other ?error as AUTHORIZATION_FAILED", async () => {
    await start();
    const { agent, callback } = await editableCallback();
    callback.searchParams.set("error", "server_error");
    await expectRefused(h, await agent.get(callback.pathname + callback.search), "AUTHORIZATION_FAILED", 400);
    expect(h.fake.hits.token).toBe(0);
  });

  it.each([
    ["missing", (u: URL) => u.searchParams.delete("code")],
    ["repeated", (u: URL) => u.searchParams.append("code", "again")],
    ["too long", (u: URL) => u.searchParams.set("code", "a".repeat(513))],
    ["with odd characters", (u: URL) => u.searchParams.set("code", "abc def<script>")],
  ])("refuses a %s code without calling Bitbucket", async (_name, mutate) => {
    await start();
    const { agent, callback } = await editableCallback();
    mutate(callback);
    await expectRefused(h, await agent.get(callback.pathname + callback.search), "CODE_INVALID", 400);
    expect(h.fake.hits.token).toBe(0);
  });
});
