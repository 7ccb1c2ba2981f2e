import { afterEach, describe, expect, it } from "@jest/globals";
import {
  approvedCallback,
  login,
  startHarness,
  type Harness,
  type HarnessOptions,
} from "../helpers/harness.js";
import { expectRefused } from "../helpers/assertions.js";
import { routeBitbucketTo, startFakeBitbucket, type FakeFault } from "../../src/testing/index.js";

let h: Harness;
const start = async (options?: HarnessOptions) => (h = await startHarness(options));
afterEach(() => h?.close());

type Case = [name: string, fault: FakeFault, code: string, status: number];

const matrix: Case[] = [
  [
    "token 400 invalid_grant (a reused code)",
    { endpoint: "token", kind: "status", status: 400 },
    "TOKEN_EXCHANGE_FAILED",
    400,
  ],
  [
    "token 401 unauthorized_client",
    { endpoint: "token", kind: "status", status: 401 },
    "CLIENT_CREDENTIALS_REJECTED",
    502,
  ],
  // Other shapes Bitbucket sends: the code follows the OAuth error, then the status.
  [
    "token 400 invalid_client",
    { endpoint: "token", kind: "status", status: 400, body: { error: "invalid_client" } },
    "CLIENT_CREDENTIALS_REJECTED",
    502,
  ],
  [
    "token 401 with a plain-text body",
    { endpoint: "token", kind: "status", status: 401, body: "Unauthorized" },
    "CLIENT_CREDENTIALS_REJECTED",
    502,
  ],
  [
    "token 400 invalid_request (no callback uri)",
    {
      endpoint: "token",
      kind: "status",
      status: 400,
      body: { error: "invalid_request", error_description: "No callback uri defined for the OAuth client." },
    },
    "TOKEN_EXCHANGE_FAILED",
    400,
  ],
  [
    "token 404",
    { endpoint: "token", kind: "status", status: 404, body: { error: "not_found" } },
    "TOKEN_EXCHANGE_FAILED",
    400,
  ],
  [
    "user 404 (an odd answer)",
    { endpoint: "user", kind: "status", status: 404 },
    "BITBUCKET_UNAVAILABLE",
    502,
  ],
  ["token 429", { endpoint: "token", kind: "status", status: 429 }, "BITBUCKET_RATE_LIMITED", 503],
  ["token 500", { endpoint: "token", kind: "status", status: 500 }, "BITBUCKET_UNAVAILABLE", 502],
  ["token 503", { endpoint: "token", kind: "status", status: 503 }, "BITBUCKET_UNAVAILABLE", 502],
  [
    "token slower than the timeout",
    { endpoint: "token", kind: "slow", delayMs: 30_000 },
    "BITBUCKET_TIMEOUT",
    504,
  ],
  ["token connection reset mid-body", { endpoint: "token", kind: "reset" }, "BITBUCKET_UNAVAILABLE", 502],
  ["token body that is not JSON", { endpoint: "token", kind: "non-json" }, "BITBUCKET_UNAVAILABLE", 502],
  ["token HTML page", { endpoint: "token", kind: "html" }, "BITBUCKET_UNAVAILABLE", 502],
  [
    "user 401 (an expired token)",
    { endpoint: "user", kind: "status", status: 401 },
    "BITBUCKET_TOKEN_REJECTED",
    502,
  ],
  [
    "user 403 (no account permission)",
    { endpoint: "user", kind: "status", status: 403 },
    "SCOPE_MISSING",
    502,
  ],
  ["user 429", { endpoint: "user", kind: "status", status: 429 }, "BITBUCKET_RATE_LIMITED", 503],
  ["user 500", { endpoint: "user", kind: "status", status: 500 }, "BITBUCKET_UNAVAILABLE", 502],
  [
    "user slower than the timeout",
    { endpoint: "user", kind: "slow", delayMs: 30_000 },
    "BITBUCKET_TIMEOUT",
    504,
  ],
  [
    "user body without uuid",
    { endpoint: "user", kind: "body", body: { display_name: "x", links: {} } },
    "BITBUCKET_USER_INVALID",
    502,
  ],
  [
    "user body with an empty uuid",
    { endpoint: "user", kind: "body", body: { uuid: "", display_name: "x", links: {} } },
    "BITBUCKET_USER_INVALID",
    502,
  ],
];

describe("Bitbucket faults, through the fake's fault modes", () => {
  it.each(matrix)("%s → %s", async (_name, fault, code, status) => {
    await start({ router: { timeout: 1000 } });
    h.fake.setFault(fault);
    const res = await login(h.agent());
    await expectRefused(h, res, code, status);
  });

  it.each<["token" | "user", number]>([
    ["token", 400],
    ["token", 200],
    ["user", 401],
    ["user", 200],
  ])(
    "answers a %s answer (HTTP %i) whose body stalls by the deadline: BITBUCKET_TIMEOUT",
    async (endpoint, status) => {
      await start({ router: { timeout: 1000 } });
      h.fake.setFault({ endpoint, kind: "stall", status });
      const started = Date.now();
      const res = await login(h.agent());
      // Before the single deadline, a stalled error body kept the callback open for minutes.
      expect(Date.now() - started).toBeLessThan(1000 + 5000);
      await expectRefused(h, res, "BITBUCKET_TIMEOUT", 504);
    },
  );

  it("names the missing permission in the SCOPE_MISSING hint", async () => {
    await start();
    h.fake.setFault({ endpoint: "user", kind: "status", status: 403 });
    expect((await login(h.agent())).body.message).toMatch(
      /lacks the 'account' \(Account: Read\) permission\. Enable it/,
    );
  });

  it.each([
    [{ required: ["account", "team"], granted: [] }, "'account' (Account: Read), 'team' permission"],
    [{ required: ["ACCOUNT<script>"] }, "'account' (Account: Read) permission"],
    [{ required: "account" }, "'account' (Account: Read) permission"],
    [undefined, "'account' (Account: Read) permission"],
  ])("reads the permissions a 403 names (%j) only when they are plain scope names", async (detail, named) => {
    await start();
    const message = "Your credentials lack one or more required privilege scopes.";
    h.fake.setFault({
      endpoint: "user",
      kind: "status",
      status: 403,
      body: { type: "error", error: { message, ...(detail ? { detail } : {}) } },
    });
    const res = await login(h.agent());
    expect(res.body.error).toBe("SCOPE_MISSING");
    expect(res.body.message).toContain(`lacks the ${named}. Enable it`);
  });

  it("maps a refused connection to BITBUCKET_UNAVAILABLE", async () => {
    const dead = await startFakeBitbucket();
    await dead.close();
    await start();
    const agent = h.agent();
    const callback = await approvedCallback(agent);
    const unroute = routeBitbucketTo(dead.url);
    try {
      await expectRefused(h, await agent.get(callback), "BITBUCKET_UNAVAILABLE", 502);
    } finally {
      unroute();
    }
  });

  it("signs in a user whose /2.0/user lacks username and avatar", async () => {
    await start({
      router: {
        getUserAttributes: (bb) => ({
          display_name: bb.display_name,
          avatar_url: "href" in (bb.links?.avatar ?? {}) ? (bb.links.avatar as { href: string }).href : null,
        }),
      },
      fake: {
        users: [
          { uuid: "{aaaaaaaa-0000-4000-8000-000000000001}", display_name: "No Frills", avatarUrl: null },
        ],
      },
    });
    const agent = h.agent();
    expect((await login(agent)).status).toBe(302);
    const me = await agent.get("/me");
    expect(me.body.displayName).toBe("No Frills");
    expect((await h.auth.getUser(me.body.userId)).avatarUrl).toBeNull();
  });
});

describe("database faults (real SQLite triggers)", () => {
  const failInsertInto = (table: string) =>
    `CREATE TRIGGER fail_${table} BEFORE INSERT ON ${table} BEGIN SELECT RAISE(ABORT, 'injected fault'); END;`;

  it.each([
    ["the user insert", "auth_user", "USER_CREATION_FAILED"],
    ["the key write (the user is rolled back with it)", "user_key", "USER_CREATION_FAILED"],
    ["the session insert (the new user is removed again)", "user_session", "SESSION_CREATION_FAILED"],
  ])("a failure in %s gives %s and leaves nothing", async (_name, table, code) => {
    await start();
    await h.db.exec(failInsertInto(table));
    await expectRefused(h, await login(h.agent()), code, 500);
  });
});
