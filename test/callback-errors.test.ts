import { afterEach, describe, expect, it } from "@jest/globals";
import {
  approveAtFake,
  beginLogin,
  login,
  startHarness,
  type Harness,
  type HarnessOptions,
} from "./helpers/harness.js";
import { expectRefused } from "./helpers/assertions.js";
import { startFakeBitbucket } from "../src/testing/index.js";

let h: Harness;
const start = async (options?: HarnessOptions) => (h = await startHarness(options));
afterEach(() => h.close());

/** Begins a login and returns the approved callback path, so one part can be changed. */
async function approvedCallback(agent = h.agent()) {
  const { authorizeUrl } = await beginLogin(agent);
  return { agent, callback: new URL(await approveAtFake(authorizeUrl), "http://app.test") };
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
    const { agent, callback } = await approvedCallback();
    callback.searchParams.set("state", "a".repeat(43));
    await expectRefused(h, await agent.get(callback.pathname + callback.search), "STATE_MISMATCH", 400);
  });

  it("refuses a missing or repeated state parameter", async () => {
    await start();
    for (const mutate of [
      (u: URL) => u.searchParams.delete("state"),
      (u: URL) => u.searchParams.append("state", "x"),
    ]) {
      const { agent, callback } = await approvedCallback();
      mutate(callback);
      await expectRefused(h, await agent.get(callback.pathname + callback.search), "STATE_MISMATCH", 400);
    }
  });

  it("refuses a tampered or unsigned state cookie", async () => {
    await start();
    const { callback } = await approvedCallback();
    const state = callback.searchParams.get("state");
    const forged = encodeURIComponent(JSON.stringify([state, Date.now(), null]));
    for (const value of [forged, `s%3A${forged}.bad-signature`]) {
      const res = await h
        .agent()
        .get(callback.pathname + callback.search)
        .set("Cookie", `bitbucket_oauth_state=${value}`);
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
    const { agent, callback } = await approvedCallback();
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
    const { agent, callback } = await approvedCallback();
    mutate(callback);
    await expectRefused(h, await agent.get(callback.pathname + callback.search), "CODE_INVALID", 400);
    expect(h.fake.hits.token).toBe(0);
  });
});

describe("the token exchange and the user call", () => {
  it("maps a refused code (invalid_grant) to TOKEN_EXCHANGE_FAILED", async () => {
    await start();
    const { agent, callback } = await approvedCallback();
    callback.searchParams.set("code", "not-a-code-the-fake-issued");
    await expectRefused(
      h,
      await agent.get(callback.pathname + callback.search),
      "TOKEN_EXCHANGE_FAILED",
      400,
    );
    expect(h.fake.hits.token).toBe(1);
  });

  it("maps a wrong client secret to CLIENT_CREDENTIALS_REJECTED, without the secret in the message", async () => {
    await start({ router: { clientSecret: "wrong-secret-value" } });
    const res = await login(h.agent());
    await expectRefused(h, res, "CLIENT_CREDENTIALS_REJECTED", 502);
    expect(res.body.message).toMatch(/clientSecret/);
    expect(JSON.stringify(res.body)).not.toContain("wrong-secret-value");
  });

  it.each([500, 503])("maps a %i from the token endpoint to BITBUCKET_UNAVAILABLE", async (status) => {
    await start();
    h.fake.setFault({ endpoint: "token", kind: "status", status });
    await expectRefused(h, await login(h.agent()), "BITBUCKET_UNAVAILABLE", 502);
  });

  it("maps a refused connection to BITBUCKET_UNAVAILABLE", async () => {
    const dead = await startFakeBitbucket();
    await dead.close();
    await start();
    const { agent, callback } = await approvedCallback();
    const { routeBitbucketTo } = await import("../src/testing/index.js");
    const unroute = routeBitbucketTo(dead.url);
    try {
      await expectRefused(
        h,
        await agent.get(callback.pathname + callback.search),
        "BITBUCKET_UNAVAILABLE",
        502,
      );
    } finally {
      unroute();
    }
  });

  it("maps a body that is not JSON to BITBUCKET_UNAVAILABLE", async () => {
    await start();
    h.fake.setFault({ endpoint: "token", kind: "non-json" });
    const res = await login(h.agent());
    await expectRefused(h, res, "BITBUCKET_UNAVAILABLE", 502);
    expect(res.body.message).toMatch(/not JSON/);
  });

  it("gives up after `timeout` with BITBUCKET_TIMEOUT", async () => {
    await start({ router: { timeout: 200 } });
    h.fake.setFault({ endpoint: "token", kind: "slow", delayMs: 1500 });
    const started = Date.now();
    await expectRefused(h, await login(h.agent()), "BITBUCKET_TIMEOUT", 504);
    expect(Date.now() - started).toBeLessThan(1400);
  });

  it("explains a missing `account` permission with the hint to enable it", async () => {
    await start();
    h.fake.setFault({ endpoint: "user", kind: "status", status: 403 });
    const res = await login(h.agent());
    await expectRefused(h, res, "SCOPE_MISSING", 502);
    expect(res.body.message).toMatch(/'account' permission.*Enable it/);
  });
});

describe("database faults (real SQLite triggers)", () => {
  const failInsertInto = (table: string) =>
    `CREATE TRIGGER fail_${table} BEFORE INSERT ON ${table} BEGIN SELECT RAISE(ABORT, 'injected fault'); END;`;

  it("maps a failed user insert to USER_CREATION_FAILED", async () => {
    await start();
    await h.db.exec(failInsertInto("auth_user"));
    await expectRefused(h, await login(h.agent()), "USER_CREATION_FAILED", 500);
  });

  it("rolls back the user when its key write fails", async () => {
    await start();
    await h.db.exec(failInsertInto("user_key"));
    await expectRefused(h, await login(h.agent()), "USER_CREATION_FAILED", 500);
  });

  it("removes the new user again when the session insert fails", async () => {
    await start();
    await h.db.exec(failInsertInto("user_session"));
    await expectRefused(h, await login(h.agent()), "SESSION_CREATION_FAILED", 500);
  });
});
