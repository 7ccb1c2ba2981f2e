import { afterEach, describe, expect, it } from "@jest/globals";
import type { BitbucketAllow, BitbucketSuccessContext } from "../../src/index.js";
import { DEFAULT_FAKE_CLIENT, DEFAULT_FAKE_WORKSPACE, type FakeFault } from "../../src/testing/index.js";
import type { AppAuth } from "../../example-server/lucia.js";
import {
  link,
  login,
  REDIRECT_URI,
  startHarness,
  type Agent,
  type Harness,
  type HarnessOptions,
} from "../helpers/harness.js";
import { expectRefused } from "../helpers/assertions.js";
import { ACCESS_FAKE, COLE, EVE } from "../helpers/access-fixtures.js";

let h: Harness;
let successes: BitbucketSuccessContext<AppAuth>[];
afterEach(async () => {
  // Whatever a test did, nothing may ever ask the endpoints Bitbucket removed in 2026.
  expect(h.fake.hits.retired).toBe(0);
  await h.close();
});

async function start(
  allow: BitbucketAllow | undefined,
  extra: HarnessOptions["router"] = {},
  fake = ACCESS_FAKE,
) {
  successes = [];
  h = await startHarness({
    fake,
    router: { allow, onSuccess: (ctx) => void successes.push(ctx), ...extra },
  });
}
async function loginAs(nickname: string, agent: Agent = h.agent()) {
  h.fake.setDefaultUser(nickname);
  return login(agent);
}
const signedIn = async (res: { status: number }) => {
  expect(res.status).toBe(302);
  expect(await h.db.counts()).toMatchObject({ users: expect.any(Number), sessions: expect.any(Number) });
};

describe("allow.workspaces", () => {
  it("lets a member in by slug, and tells the hooks the workspace and role", async () => {
    await start({ workspaces: ["fake-team"] });
    await signedIn(await loginAs("ada"));
    expect(await h.db.counts()).toEqual({ users: 1, keys: 1, sessions: 1 });
    expect(successes[0]?.access).toEqual({
      allowed: true,
      workspace: DEFAULT_FAKE_WORKSPACE,
      role: "member",
      repository: null,
      reason: null,
    });
    expect(h.fake.hits.permission).toBe(1);
  });

  it("lets a member in by {uuid}", async () => {
    await start({ workspaces: [DEFAULT_FAKE_WORKSPACE.uuid] });
    await signedIn(await loginAs("ada"));
    expect(successes[0]?.access?.workspace?.slug).toBe("fake-team");
  });

  it("refuses a non-member with ACCESS_NOT_ALLOWED, naming the rule, and writes nothing", async () => {
    await start({ workspaces: ["fake-team"] });
    const res = await loginAs("eve");
    await expectRefused(h, res, "ACCESS_NOT_ALLOWED", 403);
    expect(res.body.message).toBe("Not allowed to sign in: not a member of the workspace 'fake-team'.");
    expect(((h.errors[0] as Error).cause as Error).message).toBe(
      "allow rules: not a member of the workspace 'fake-team'",
    );
    expect(JSON.stringify(res.body)).not.toMatch(/Bearer|access_token|[A-Za-z0-9_-]{40,}/);
  });

  it("refuses a member of a workspace that only shares the display name", async () => {
    await start({ workspaces: ["fake-team"] });
    await expectRefused(h, await loginAs("mallory"), "ACCESS_NOT_ALLOWED", 403);
  });

  it("accepts any one of several workspaces, and reports the first that qualifies", async () => {
    await start({ workspaces: ["no-such-team", "evil-team", "fake-team"] });
    await signedIn(await loginAs("mallory"));
    expect(successes[0]?.access).toMatchObject({
      workspace: { slug: "evil-team", name: "Fake Team" },
      role: "owner",
    });
    expect(h.fake.hits.permission).toBe(3);
  });
});

describe("allow.role", () => {
  type Role = "member" | "collaborator" | "owner";
  it.each<[string, Role, Role, boolean]>([
    ["ada", "member", "collaborator", false],
    ["cole", "collaborator", "collaborator", true],
    ["olga", "owner", "collaborator", true],
    ["cole", "collaborator", "owner", false],
    ["olga", "owner", "owner", true],
    ["ada", "member", "member", true],
  ])("%s (%s) against a minimum of %s: allowed %s", async (who, role, min, allowed) => {
    await start({ workspaces: ["fake-team"], role: min });
    const res = await loginAs(who);
    if (allowed) {
      await signedIn(res);
      expect(successes[0]?.access?.role).toBe(role);
    } else {
      await expectRefused(h, res, "ACCESS_NOT_ALLOWED", 403);
      expect(res.body.message).toBe(
        `Not allowed to sign in: the role '${role}' in workspace 'fake-team' is below the required '${min}'.`,
      );
    }
  });
});

describe("allow.repositories", () => {
  it("lets in someone who can read one of them, and reports which", async () => {
    await start({ repositories: ["fake-team/ops", "fake-team/handbook"] });
    await signedIn(await loginAs("ada"));
    expect(successes[0]?.access).toMatchObject({
      repository: "fake-team/handbook",
      workspace: null,
      role: null,
    });
  });

  it("refuses someone who can read none, and names the permission the check needs", async () => {
    await start({ repositories: ["fake-team/ops", "fake-team/no-such-repo"] });
    const res = await loginAs("ada");
    await expectRefused(h, res, "ACCESS_NOT_ALLOWED", 403);
    expect(res.body.message).toContain(
      "cannot read any of the repositories 'fake-team/ops', 'fake-team/no-such-repo' ",
    );
    expect(res.body.message).toContain("Repositories: Read");
  });

  it("explains a consumer without the repository permission as SCOPE_MISSING", async () => {
    await start(
      { repositories: ["fake-team/handbook"] },
      {},
      {
        ...ACCESS_FAKE,
        clients: [{ ...DEFAULT_FAKE_CLIENT, callbackUrl: REDIRECT_URI, scopes: ["account", "email"] }],
      },
    );
    const res = await loginAs("ada");
    await expectRefused(h, res, "SCOPE_MISSING", 502);
    expect(res.body.message).toContain("'repository' (Repositories: Read) permission");
  });
});

describe("all rules together", () => {
  const allow: BitbucketAllow = { workspaces: ["fake-team"], role: "owner", repositories: ["fake-team/ops"] };

  it("lets in only someone for whom all of them hold", async () => {
    await start(allow);
    await signedIn(await loginAs("olga"));
    expect(successes[0]?.access).toEqual({
      allowed: true,
      workspace: DEFAULT_FAKE_WORKSPACE,
      role: "owner",
      repository: "fake-team/ops",
      reason: null,
    });
  });

  it.each(["ada", "cole", "eve", "mallory"])("refuses %s", async (who) => {
    await start(allow);
    await expectRefused(h, await loginAs(who), "ACCESS_NOT_ALLOWED", 403);
  });

  it("asks each workspace and repository once, all at the same time as the email", async () => {
    await start(allow, { fetchEmail: true });
    await signedIn(await loginAs("olga"));
    expect(h.fake.hits).toMatchObject({
      token: 1,
      user: 1,
      permission: 1,
      repository: 1,
      emails: 1,
      workspaces: 0,
    });
  });
});

describe("an outage during the check is not a refusal", () => {
  const outages: [string, Record<string, unknown>, string, number][] = [
    ["500", { kind: "status", status: 500 }, "BITBUCKET_UNAVAILABLE", 502],
    ["429", { kind: "status", status: 429 }, "BITBUCKET_RATE_LIMITED", 503],
    ["a timeout", { kind: "slow", delayMs: 30_000 }, "BITBUCKET_TIMEOUT", 504],
    ["a body that is not JSON", { kind: "non-json" }, "BITBUCKET_UNAVAILABLE", 502],
  ];
  for (const endpoint of ["permission", "repository"] as const) {
    it.each(outages)(`${endpoint}: %s → %s, nothing written`, async (_name, fault, code, status) => {
      await start({ workspaces: ["fake-team"], repositories: ["fake-team/handbook"] }, { timeout: 1000 });
      h.fake.setFault({ endpoint, ...fault } as FakeFault);
      await expectRefused(h, await loginAs("ada"), code, status);
    });
  }

  it("keeps an existing user's sessions when the check cannot be made", async () => {
    await start({ workspaces: ["fake-team"] });
    await signedIn(await loginAs("ada"));
    h.fake.setFault({ endpoint: "permission", kind: "status", status: 503 });
    const res = await loginAs("ada");
    expect(res.body.error).toBe("BITBUCKET_UNAVAILABLE");
    expect(await h.db.counts()).toEqual({ users: 1, keys: 1, sessions: 1 });
  });

  it("a definite refusal by one rule wins over an outage of the other", async () => {
    await start({ workspaces: ["fake-team"], repositories: ["fake-team/handbook"] });
    h.fake.setFault({ endpoint: "repository", kind: "status", status: 500 });
    await expectRefused(h, await loginAs("eve"), "ACCESS_NOT_ALLOWED", 403);
  });

  it("treats a 403 that is not about permissions as 'cannot read'", async () => {
    await start({ repositories: ["fake-team/handbook"] });
    h.fake.setFault({
      endpoint: "repository",
      kind: "status",
      status: 403,
      body: { type: "error", error: { message: "Forbidden" } },
    });
    await expectRefused(h, await loginAs("ada"), "ACCESS_NOT_ALLOWED", 403);
  });

  it("treats a malformed permission answer as an outage, never a pass", async () => {
    await start({ workspaces: ["fake-team"] });
    for (const body of [
      { permission: "admin" },
      { permission: "owner", workspace: { slug: "evil-team" } },
      {},
    ]) {
      h.fake.setFault({ endpoint: "permission", kind: "body", body, times: 1 });
      await expectRefused(h, await loginAs("ada"), "BITBUCKET_UNAVAILABLE", 502);
    }
  });
});

describe("revocation at the callback", () => {
  it("a member removed from the workspace is refused, and every session they have is ended", async () => {
    await start({ workspaces: ["fake-team"] });
    const laptop = h.agent();
    const phone = h.agent();
    await loginAs("ada", laptop);
    await loginAs("ada", phone);
    await loginAs("olga");
    expect(await h.db.counts()).toEqual({ users: 2, keys: 2, sessions: 3 });
    h.fake.setWorkspaceRole("ada", "fake-team", null);

    const res = await loginAs("ada");
    expect({ status: res.status, error: res.body.error }).toEqual({
      status: 403,
      error: "ACCESS_NOT_ALLOWED",
    });
    expect((await laptop.get("/me")).status).toBe(401);
    expect((await phone.get("/me")).status).toBe(401);
    // Only Ada's sessions: the user, the key and Olga's session stay.
    expect(await h.db.counts()).toEqual({ users: 2, keys: 2, sessions: 1 });
  });
});

describe("the authorize hook", () => {
  it("sees what allow found and can ask Bitbucket more with the login's token", async () => {
    const seen: unknown[] = [];
    await start(
      { workspaces: ["fake-team"] },
      {
        authorize: async ({ access, fetchBitbucket }) => {
          seen.push(access?.role);
          return (await fetchBitbucket("/2.0/repositories/fake-team/ops")) !== null;
        },
      },
    );
    await signedIn(await loginAs("olga"));
    const refused = await loginAs("ada");
    expect({ status: refused.status, error: refused.body.error }).toEqual({
      status: 403,
      error: "ACCESS_NOT_ALLOWED",
    });
    expect(await h.db.counts()).toEqual({ users: 1, keys: 1, sessions: 1 });
    expect(seen).toEqual(["owner", "member"]);
  });

  it("refuses with the hook named, and ends an existing user's sessions", async () => {
    let open = true;
    await start(undefined, { authorize: () => open });
    const agent = h.agent();
    await signedIn(await loginAs("ada", agent));
    open = false;
    const res = await loginAs("ada");
    expect(res.body).toMatchObject({
      error: "ACCESS_NOT_ALLOWED",
      message: "Not allowed to sign in: the app's authorize hook refused this account.",
    });
    expect(((h.errors.at(-1) as Error).cause as Error).message).toBe(
      "the app's authorize hook refused this account",
    );
    expect((await agent.get("/me")).status).toBe(401);
    expect(await h.db.counts()).toEqual({ users: 1, keys: 1, sessions: 0 });
  });

  type Hook = (ctx: { fetchBitbucket: (p: string) => Promise<unknown> }) => unknown;
  it.each<[string, Hook, string, number]>([
    ["a truthy value that is not true", () => "yes", "ACCESS_NOT_ALLOWED", 403],
    [
      "a throw",
      () => {
        throw new Error("rule engine down");
      },
      "ACCESS_CHECK_FAILED",
      500,
    ],
    [
      "an absolute URL to fetchBitbucket",
      async ({ fetchBitbucket }) => (await fetchBitbucket("https://evil.test/2.0/user")) !== null,
      "ACCESS_CHECK_FAILED",
      500,
    ],
  ])("answers %s with %s", async (_name, authorize, code, status) => {
    await start(undefined, { authorize: authorize as never });
    await expectRefused(h, await loginAs("ada"), code, status);
  });

  it("lets fetchBitbucket reach only paths of Bitbucket's API", async () => {
    const outcomes: string[] = [];
    await start(undefined, {
      authorize: async ({ fetchBitbucket }) => {
        for (const path of [
          "https://evil.test/2.0/user",
          "/2.0/user#x",
          "/2.0/user x",
          "/1.0/user",
          "/2.0/user?x=1#y",
          5,
          // Not a string, though it reads as an API path when turned into one.
          { toString: () => "/2.0/user" },
          "/2.0/repositories/fake-team/handbook?fields=full_name,slug",
        ]) {
          outcomes.push(
            await fetchBitbucket(path as string).then(
              (body) => `ok ${typeof body}`,
              (err: Error) => `${err.name}: ${err.message}`,
            ),
          );
        }
        return true;
      },
    });
    await signedIn(await loginAs("ada"));
    const refused = (path: unknown) =>
      `TypeError: fetchBitbucket: expected an API path such as "/2.0/user"; got ${JSON.stringify(path)}.`;
    expect(outcomes).toEqual([
      refused("https://evil.test/2.0/user"),
      refused("/2.0/user#x"),
      refused("/2.0/user x"),
      refused("/1.0/user"),
      refused("/2.0/user?x=1#y"),
      refused(5),
      refused({}),
      "ok object",
    ]);
  });

  it("keeps the code of an outage inside fetchBitbucket", async () => {
    await start(undefined, {
      authorize: async ({ fetchBitbucket }) =>
        (await fetchBitbucket("/2.0/repositories/fake-team/handbook")) !== null,
    });
    h.fake.setFault({ endpoint: "repository", kind: "status", status: 429 });
    await expectRefused(h, await loginAs("ada"), "BITBUCKET_RATE_LIMITED", 503);
  });
});

describe("linking under allow", () => {
  it("runs the same check: an outsider's account is not linked", async () => {
    await start({ workspaces: ["fake-team"] });
    const agent = h.agent();
    await signedIn(await loginAs("ada", agent));
    h.fake.setDefaultUser(EVE.uuid);
    const before = await h.db.counts();
    const res = await link(agent);
    expect({ status: res.status, error: res.body.error }).toEqual({
      status: 403,
      error: "ACCESS_NOT_ALLOWED",
    });
    expect(await h.db.counts()).toEqual(before);
    expect((await agent.get("/me")).status).toBe(200);
  });

  it("links a qualifying account", async () => {
    await start({ workspaces: ["fake-team"] });
    const agent = h.agent();
    await signedIn(await loginAs("ada", agent));
    h.fake.setDefaultUser(COLE.uuid);
    expect((await link(agent)).status).toBe(302);
    expect(await h.db.counts()).toEqual({ users: 1, keys: 2, sessions: 1 });
  });
});
