// Who may sign in on Data Center: `allow: { projects, repositories, permission }`, asked of the fake
// Data Center's permission-filtered lists and repositories, with every kind of answer.
import { afterEach, describe, expect, it } from "@jest/globals";
import type {
  BitbucketDataCenterAllow,
  BitbucketDataCenterAccess,
  BitbucketDataCenterPermission,
} from "../../src/index.js";
import type { FakeDataCenterEndpoint, FakeDataCenterFault } from "../../src/testing/index.js";
import {
  closeDataCenterHarness,
  dcLogin,
  startDataCenterHarness,
  type DataCenterHarness,
} from "../helpers/datacenter.js";

let h: DataCenterHarness | undefined;
afterEach(async () => {
  await closeDataCenterHarness(h);
  h = undefined;
});

async function attempt(
  allow: BitbucketDataCenterAllow,
  as: string,
  setup: (harness: DataCenterHarness) => void = () => undefined,
  fake: { maxPageSize?: number } = {},
) {
  const seen: (BitbucketDataCenterAccess | null)[] = [];
  h = await startDataCenterHarness({
    router: { allow, timeout: 1000, onSuccess: ({ access }) => void seen.push(access) },
    fake,
  });
  h.dc.approveAs(as);
  setup(h);
  const res = await dcLogin(h.agent());
  return { res, access: seen[0], counts: await h.db.counts() };
}

const EMPTY = { users: 0, keys: 0, sessions: 0 };

describe("projects: the project permission, at each level", () => {
  it.each<[string, BitbucketDataCenterPermission, boolean]>([
    // Ada: PROJECT_WRITE on ENG. Jane: PROJECT_READ on ENG. Zoë: only a repository of ENG.
    ["ada", "read", true],
    ["ada", "write", true],
    ["ada", "admin", false],
    ["jane@acme.com", "read", true],
    ["jane@acme.com", "write", false],
    ["zoë", "read", false],
    ["eve", "read", false],
  ])("%s with permission %s on ENG: allowed %s", async (as, permission, allowed) => {
    const { res, access, counts } = await attempt({ projects: ["ENG"], permission }, as);
    if (allowed) {
      expect(res.status).toBe(302);
      expect(access).toMatchObject({ allowed: true, project: "ENG", permission });
    } else {
      expect({ status: res.status, error: res.body.error }).toEqual({
        status: 403,
        error: "ACCESS_NOT_ALLOWED",
      });
      expect(res.body.message).toContain("no " + permission + " permission on the projects ENG");
      expect(counts).toEqual(EMPTY);
    }
  });

  it("follows nextPageStart to the end of the list", async () => {
    // One project per page: ENG is not on the first page Ada sees for PROJECT_READ (PUB is public).
    const { res, access } = await attempt({ projects: ["PUB"] }, "ada", undefined, { maxPageSize: 1 });
    expect(res.status).toBe(302);
    expect(access?.project).toBe("PUB");
    const pages = h?.dc.requests.filter((r) => r.url.includes("/rest/api/latest/projects?")) ?? [];
    expect(pages.length).toBe(2);
    expect(pages[1]?.url).toContain("start=1");
  });
});

describe("repositories: the repository permission, which project permissions imply", () => {
  it.each<[string, string, BitbucketDataCenterPermission, boolean]>([
    ["zoë", "ENG/api", "read", true],
    ["zoë", "ENG/api", "write", false],
    ["zoë", "ENG/web", "read", false],
    ["ada", "ENG/web", "write", true],
    ["ada", "ENG/web", "admin", false],
    ["ada", "OPS/deploy", "read", false],
    ["eve", "PUB/docs", "read", true],
    ["ada", "ENG/missing", "read", false],
  ])("%s on %s at %s: allowed %s", async (as, repository, permission, allowed) => {
    const { res, access, counts } = await attempt({ repositories: [repository], permission }, as);
    if (allowed) {
      expect(res.status).toBe(302);
      expect(access).toMatchObject({ allowed: true, repository });
    } else {
      expect(res.body.error).toBe("ACCESS_NOT_ALLOWED");
      expect(counts).toEqual(EMPTY);
    }
  });

  it("needs both lists when both are given", async () => {
    const { res } = await attempt({ projects: ["ENG"], repositories: ["OPS/deploy"] }, "ada");
    expect(res.body.error).toBe("ACCESS_NOT_ALLOWED");
  });

  it("admits on any one of several repositories", async () => {
    const { res, access } = await attempt({ repositories: ["OPS/deploy", "ENG/api"] }, "zoë");
    expect(res.status).toBe(302);
    expect(access?.repository).toBe("ENG/api");
  });

  it("asks for REPO_READ when allow is set", async () => {
    h = await startDataCenterHarness({ router: { allow: { projects: ["ENG"] } } });
    const start = await h.agent().get("/login/bitbucket");
    expect(new URL(start.headers.location as string).searchParams.get("scope")).toBe(
      "PUBLIC_REPOS REPO_READ",
    );
  });
});

describe("an outage is never an answer", () => {
  const cases: [
    string,
    FakeDataCenterEndpoint,
    FakeDataCenterFault["kind"],
    number | undefined,
    string,
    number,
  ][] = [
    ["a 500 from the project list", "projects", "status", 500, "BITBUCKET_UNAVAILABLE", 502],
    ["an HTML page from the project list", "projects", "html", undefined, "BITBUCKET_UNAVAILABLE", 502],
    ["a stalled project list", "projects", "stall", undefined, "BITBUCKET_TIMEOUT", 504],
    ["a 500 from a repository", "repos", "status", 500, "BITBUCKET_UNAVAILABLE", 502],
    ["an HTML page from a repository", "repos", "html", undefined, "BITBUCKET_UNAVAILABLE", 502],
    ["a stalled repository", "repos", "stall", undefined, "BITBUCKET_TIMEOUT", 504],
    ["a 500 from the identity call", "application-properties", "status", 500, "BITBUCKET_UNAVAILABLE", 502],
    ["a stalled user lookup", "users", "stall", undefined, "BITBUCKET_TIMEOUT", 504],
    ["a 500 from the token endpoint", "token", "status", 500, "BITBUCKET_UNAVAILABLE", 502],
  ];
  it.each(cases)(
    "%s keeps its own code and writes nothing",
    async (_what, endpoint, kind, status, code, httpStatus) => {
      const fault = (
        kind === "status" ? { endpoint, kind, status } : { endpoint, kind }
      ) as FakeDataCenterFault;
      const { res, counts } = await attempt({ projects: ["ENG"], repositories: ["ENG/api"] }, "ada", (x) =>
        x.dc.setFault(fault),
      );
      expect({ status: res.status, error: res.body.error }).toEqual({ status: httpStatus, error: code });
      expect(counts).toEqual(EMPTY);
    },
  );

  it("a 429 keeps Bitbucket's Retry-After on the error and on the JSON answer", async () => {
    const { res, counts } = await attempt({ projects: ["ENG"] }, "ada", (x) =>
      x.dc.setFault({ endpoint: "projects", kind: "status", status: 429, retryAfter: 17 }),
    );
    expect({ status: res.status, error: res.body.error }).toEqual({
      status: 503,
      error: "BITBUCKET_RATE_LIMITED",
    });
    expect(res.headers["retry-after"]).toBe("17");
    expect((h?.errors[0] as { retryAfter?: number }).retryAfter).toBe(17);
    expect(counts).toEqual(EMPTY);
  });

  it("a 401 without X-AUSERNAME is a dead token, not a refusal", async () => {
    h = await startDataCenterHarness({ router: { allow: { projects: ["ENG"] } } });
    // The identity call answers 401 with no user named: the token was not accepted.
    h.dc.setFault({ endpoint: "application-properties", kind: "status", status: 401 });
    const res = await dcLogin(h.agent());
    expect(res.body.error).toBe("BITBUCKET_TOKEN_REJECTED");
  });

  it("runs the gate beside the identity calls: one round trip of its own at most", async () => {
    h = await startDataCenterHarness({ router: { allow: { projects: ["ENG"] } } });
    await dcLogin(h.agent());
    const paths = h.dc.requests.map((r) => r.url.split("?")[0]);
    expect(paths.slice(0, 2)).toEqual([
      "/bitbucket/rest/oauth2/latest/authorize",
      "/bitbucket/rest/oauth2/latest/token",
    ]);
    expect(paths.slice(2).sort()).toEqual([
      "/bitbucket/rest/api/latest/application-properties",
      "/bitbucket/rest/api/latest/projects",
      "/bitbucket/rest/api/latest/users/ada",
    ]);
    // The project list was asked before the user lookup, which waits for the identity call.
    expect(paths.indexOf("/bitbucket/rest/api/latest/projects")).toBeLessThan(
      paths.indexOf("/bitbucket/rest/api/latest/users/ada"),
    );
  });
});

describe("an existing user who no longer qualifies", () => {
  it("is refused and loses every session", async () => {
    h = await startDataCenterHarness({ router: { allow: { projects: ["ENG"] } } });
    const agent = h.agent();
    expect((await dcLogin(agent)).status).toBe(302);
    expect((await agent.get("/me")).status).toBe(200);
    h.dc.setPermission("ada", "ENG", null);
    const again = await dcLogin(h.agent());
    expect(again.body.error).toBe("ACCESS_NOT_ALLOWED");
    expect((await agent.get("/me")).status).toBe(401);
    expect(await h.db.counts()).toEqual({ users: 1, keys: 1, sessions: 0 });
  });
});
