import { afterEach, beforeEach, describe, expect, it } from "@jest/globals";
import {
  BitbucketAuthError,
  checkBitbucketAccess,
  refreshBitbucketTokens,
  type BitbucketTokens,
} from "../../src/index.js";
import { DEFAULT_FAKE_WORKSPACE } from "../../src/testing/index.js";
import { login, startHarness, type Harness } from "../helpers/harness.js";
import { ACCESS_FAKE } from "../helpers/access-fixtures.js";

let h: Harness;
let tokens: BitbucketTokens;
const client = { clientId: "fake-client-id", clientSecret: "fake-client-secret" };
const allow = { workspaces: ["fake-team"] };
const codeOf = (promise: Promise<unknown>) =>
  promise.then(
    () => "resolved",
    (err: unknown) => (err instanceof BitbucketAuthError ? err.code : String(err)),
  );

beforeEach(async () => {
  h = await startHarness({
    fake: ACCESS_FAKE,
    router: { onSuccess: (ctx) => void (tokens = ctx.bitbucketTokens) },
  });
  await login(h.agent());
});
afterEach(async () => {
  expect(h.fake.hits.retired).toBe(0);
  await h.close();
});

describe("checkBitbucketAccess: the same rules, later, with a stored token", () => {
  it("holds for a member, with the workspace and role found", async () => {
    expect(await checkBitbucketAccess({ accessToken: tokens.accessToken, allow })).toEqual({
      allowed: true,
      workspace: DEFAULT_FAKE_WORKSPACE,
      role: "member",
      repository: null,
      reason: null,
    });
  });

  it("answers allowed: false once the member is removed, saying why", async () => {
    h.fake.setWorkspaceRole("ada", "fake-team", null);
    expect(await checkBitbucketAccess({ accessToken: tokens.accessToken, allow })).toEqual({
      allowed: false,
      workspace: null,
      role: null,
      repository: null,
      reason: "not a member of the workspace 'fake-team'",
    });
  });

  it("answers allowed: false after a demotion below the role", async () => {
    const access = await checkBitbucketAccess({
      accessToken: tokens.accessToken,
      allow: { ...allow, role: "owner" },
    });
    expect(access).toMatchObject({ allowed: false, role: "member", workspace: { slug: "fake-team" } });
  });

  it.each([
    [{ kind: "status", status: 500 } as const, "BITBUCKET_UNAVAILABLE"],
    [{ kind: "status", status: 429 } as const, "BITBUCKET_RATE_LIMITED"],
    [{ kind: "slow", delayMs: 30_000 } as const, "BITBUCKET_TIMEOUT"],
    [{ kind: "non-json" } as const, "BITBUCKET_UNAVAILABLE"],
  ])("throws on an outage %j (%s), never answering 'not allowed'", async (fault, code) => {
    h.fake.setFault({ endpoint: "permission", ...fault });
    expect(
      await codeOf(checkBitbucketAccess({ accessToken: tokens.accessToken, allow, timeout: 1000 })),
    ).toBe(code);
  });

  it("throws BITBUCKET_TOKEN_REJECTED for an expired token, so the caller refreshes first", async () => {
    h.fake.expireAccessTokens();
    expect(await codeOf(checkBitbucketAccess({ accessToken: tokens.accessToken, allow }))).toBe(
      "BITBUCKET_TOKEN_REJECTED",
    );
  });
});

describe("refreshBitbucketTokens with allow", () => {
  it("re-checks with the fresh token", async () => {
    const fresh = await refreshBitbucketTokens({ ...client, refreshToken: tokens.refreshToken, allow });
    expect(fresh.access).toMatchObject({ allowed: true, role: "member" });
    expect(fresh.accessCheckError).toBeNull();
    expect(h.fake.hits.permission).toBe(1);
  });

  it("reports a removed member, and still returns the new tokens to store", async () => {
    h.fake.setWorkspaceRole("ada", "fake-team", null);
    const fresh = await refreshBitbucketTokens({ ...client, refreshToken: tokens.refreshToken, allow });
    expect(fresh.access).toMatchObject({
      allowed: false,
      reason: "not a member of the workspace 'fake-team'",
    });
    expect(await codeOf(refreshBitbucketTokens({ ...client, refreshToken: fresh.refreshToken }))).toBe(
      "resolved",
    );
  });

  it("keeps the new tokens when the re-check has an outage, with the error beside them", async () => {
    h.fake.setFault({ endpoint: "permission", kind: "status", status: 503 });
    const fresh = await refreshBitbucketTokens({ ...client, refreshToken: tokens.refreshToken, allow });
    expect(fresh.access).toBeNull();
    expect(fresh.accessCheckError?.code).toBe("BITBUCKET_UNAVAILABLE");
    expect(await codeOf(refreshBitbucketTokens({ ...client, refreshToken: fresh.refreshToken }))).toBe(
      "resolved",
    );
  });

  it("checks allow before it spends the refresh token", async () => {
    await expect(
      refreshBitbucketTokens({ ...client, refreshToken: tokens.refreshToken, allow: { workspaces: [] } }),
    ).rejects.toThrow(/refreshBitbucketTokens: option "allow.workspaces" must be a non-empty array/);
    expect(await codeOf(refreshBitbucketTokens({ ...client, refreshToken: tokens.refreshToken }))).toBe(
      "resolved",
    );
  });
});

describe("checkBitbucketAccess: what it says, and about which workspace", () => {
  const check = (rules: Parameters<typeof checkBitbucketAccess>[0]["allow"]) =>
    checkBitbucketAccess({ accessToken: tokens.accessToken, allow: rules });
  const both = { workspaces: ["fake-team", "evil-team"] };

  it("names every workspace asked about when the person is in none", async () => {
    h.fake.setWorkspaceRole("ada", "fake-team", null);
    expect(await check(both)).toMatchObject({
      allowed: false,
      reason: "not a member of the workspaces 'fake-team', 'evil-team'",
    });
  });

  it("reports the highest role found when every role is below the one required", async () => {
    h.fake.setWorkspaceRole("ada", "evil-team", "collaborator");
    expect(await check({ ...both, role: "owner" })).toMatchObject({
      allowed: false,
      role: "collaborator",
      workspace: { slug: "evil-team" },
      reason: "the role 'collaborator' in workspace 'evil-team' is below the required 'owner'",
    });
  });

  it("throws when one workspace's check fails, even if another already said 'below the role'", async () => {
    // The network edge: the request about evil-team never reaches Bitbucket.
    const routed = globalThis.fetch;
    globalThis.fetch = async (input, init) => {
      const url = typeof input === "string" ? input : input instanceof URL ? input.href : input.url;
      if (url.includes("/workspaces/evil-team/permission"))
        throw Object.assign(new TypeError("fetch failed"), { cause: { code: "ECONNRESET" } });
      return routed(input, init);
    };
    try {
      expect(await codeOf(check({ ...both, role: "owner" }))).toBe("BITBUCKET_UNAVAILABLE");
    } finally {
      globalThis.fetch = routed;
    }
  });

  it("throws on a permission answer with an unknown role, naming the workspace only in the cause", async () => {
    h.fake.setFault({ endpoint: "permission", kind: "body", body: { permission: "admin" } });
    const thrown = (await check({ workspaces: ["fake-team"] }).catch(
      (err: unknown) => err,
    )) as BitbucketAuthError;
    expect(thrown.code).toBe("BITBUCKET_UNAVAILABLE");
    expect(thrown.message).toBe("Bitbucket's workspace permission answer is malformed.");
    expect((thrown.cause as Error).message).toBe(
      "Bitbucket's permission endpoint for workspace 'fake-team' sent an unexpected body",
    );
  });

  it("fills in the workspace from the id asked about when the answer names none", async () => {
    h.fake.setFault({ endpoint: "permission", kind: "body", body: { permission: "member" } });
    expect(await check({ workspaces: ["fake-team"] })).toMatchObject({
      allowed: true,
      workspace: { slug: "fake-team", uuid: "", name: "fake-team" },
    });
    const uuid = DEFAULT_FAKE_WORKSPACE.uuid ?? "";
    expect(await check({ workspaces: [uuid] })).toMatchObject({
      allowed: true,
      workspace: { slug: "", uuid, name: "" },
    });
  });

  it("reads a repository answer that is not an object as no access", async () => {
    h.fake.setFault({ endpoint: "repository", kind: "body", body: "yes" });
    expect(await check({ repositories: ["fake-team/handbook"] })).toMatchObject({
      allowed: false,
      repository: null,
      reason:
        "cannot read any of the repositories 'fake-team/handbook' (the check needs the OAuth consumer's Repositories: Read permission)",
    });
  });
});
