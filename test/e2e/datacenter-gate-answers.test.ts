// The Data Center gate against every answer a list or a repository can give, asked through
// checkBitbucketAccess with a real token of the fake Data Center: what is asked (the permission
// filter, the page size), what each answer means, and the reason given for a refusal.
import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "@jest/globals";
import {
  checkBitbucketAccess,
  memoryTokenStore,
  type BitbucketDataCenterAllow,
  type BitbucketDataCenterPermission,
} from "../../src/index.js";
import type { FakeDataCenterFault } from "../../src/testing/index.js";
import {
  closeDataCenterHarness,
  dcGrant,
  dcLogin,
  startDataCenterHarness,
  type DataCenterHarness,
} from "../helpers/datacenter.js";

let h: DataCenterHarness;
// Tokens of two users: Ada (write on ENG) and Eve (no permission anywhere).
const token: Record<"ada" | "eve", string> = { ada: "", eve: "" };
beforeAll(async () => {
  const tokens = memoryTokenStore();
  // The gate reads private projects: its token needs REPO_READ, which a router with allow asks itself.
  h = await startDataCenterHarness({ router: { tokens, scope: ["PUBLIC_REPOS", "REPO_READ"] } });
  for (const name of ["ada", "eve"] as const) {
    h.dc.approveAs(name);
    const agent = h.agent();
    expect((await dcLogin(agent)).status).toBe(302);
    const userId = (await agent.get("/me")).body.userId as string;
    token[name] = (await tokens.get(userId, dcGrant(h.dc.url)))?.accessToken ?? "";
  }
});
afterEach(() => h.dc.clearFaults());
afterAll(() => closeDataCenterHarness(h));

const check = (allow: BitbucketDataCenterAllow, as: "ada" | "eve" = "ada") =>
  checkBitbucketAccess({ serverUrl: h.dc.url, accessToken: token[as], allow, timeout: 1000 });
const asked = async (allow: BitbucketDataCenterAllow) => {
  const before = h.dc.requests.length;
  await check(allow);
  return h.dc.requests.slice(before).map((r) => r.url);
};
const query = (url: string | undefined) => Object.fromEntries(new URL(url ?? "", "http://x").searchParams);

describe("what is asked", () => {
  it.each<[BitbucketDataCenterPermission, string]>([
    ["read", "PROJECT_READ"],
    ["write", "PROJECT_WRITE"],
    ["admin", "PROJECT_ADMIN"],
  ])("projects at %s: the project list filtered by %s, 1000 a page", async (permission, filter) => {
    const urls = await asked({ projects: ["ENG"], permission });
    expect(urls.map((u) => u.split("?")[0])).toEqual(["/bitbucket/rest/api/latest/projects"]);
    expect(query(urls[0])).toEqual({ permission: filter, start: "0", limit: "1000" });
  });

  it.each<[BitbucketDataCenterPermission, string]>([
    ["write", "REPO_WRITE"],
    ["admin", "REPO_ADMIN"],
  ])("a repository at %s: the project's repository list filtered by %s", async (permission, filter) => {
    const urls = await asked({ repositories: ["ENG/api"], permission });
    expect(urls.map((u) => u.split("?")[0])).toEqual(["/bitbucket/rest/api/latest/repos"]);
    expect(query(urls[0])).toEqual({ projectkey: "ENG", permission: filter, start: "0", limit: "1000" });
  });

  it("a repository at read: the repository itself, its key and slug URL-encoded", async () => {
    expect(await asked({ repositories: ["ENG/api"] })).toEqual([
      "/bitbucket/rest/api/latest/projects/ENG/repos/api",
    ]);
    expect(await asked({ repositories: ["~jane@acme.com/x"] })).toEqual([
      "/bitbucket/rest/api/latest/projects/~jane%40acme.com/repos/x",
    ]);
  });
});

describe("what the answers mean", () => {
  it("says which project and repository held, with the permission asked", async () => {
    expect(
      await check({ projects: ["OPS", "ENG"], repositories: ["OPS/deploy", "ENG/api"], permission: "write" }),
    ).toEqual({ allowed: true, project: "ENG", repository: "ENG/api", permission: "write", reason: null });
    expect(await check({ repositories: ["ENG/web"] })).toEqual({
      allowed: true,
      project: null,
      repository: "ENG/web",
      permission: "read",
      reason: null,
    });
  });

  it("matches project keys whatever their case, and says the key as Bitbucket wrote it", async () => {
    expect(await check({ projects: ["eng"] })).toMatchObject({ allowed: true, project: "ENG" });
    expect(await check({ repositories: ["eng/api"], permission: "write" })).toMatchObject({
      allowed: true,
      repository: "eng/api",
    });
  });

  it("gives the rule that failed, in words", async () => {
    expect(await check({ projects: ["ENG", "OPS"], permission: "admin" })).toEqual({
      allowed: false,
      project: null,
      repository: null,
      permission: "admin",
      reason: "no admin permission on the projects ENG, OPS",
    });
    expect(await check({ repositories: ["ENG/api", "OPS/deploy"], permission: "admin" })).toEqual({
      allowed: false,
      project: null,
      repository: null,
      permission: "admin",
      reason: "no admin permission on the repositories ENG/api, OPS/deploy",
    });
    // Both lists given: the project rule fails although the repository holds.
    expect(await check({ projects: ["OPS"], repositories: ["ENG/api"] })).toEqual({
      allowed: false,
      project: null,
      repository: "ENG/api",
      permission: "read",
      reason: "no read permission on the projects OPS",
    });
    // And the other way round.
    expect(await check({ projects: ["ENG"], repositories: ["OPS/deploy"] })).toEqual({
      allowed: false,
      project: "ENG",
      repository: null,
      permission: "read",
      reason: "no read permission on the repositories OPS/deploy",
    });
  });

  const entries: [string, "projects" | "repos", unknown[], boolean][] = [
    ["a project entry of another key", "projects", [{ key: "OPS" }], false],
    ["a project entry whose key is not a string", "projects", [{ key: 1 }, null], false],
    ["a project entry in lower case", "projects", [{ key: "eng" }], true],
    ["a repository entry of another project", "repos", [{ slug: "api", project: { key: "OPS" } }], false],
    ["a repository entry of another slug", "repos", [{ slug: "API", project: { key: "ENG" } }], false],
    ["a repository entry without its project", "repos", [{ slug: "api" }, null], false],
    [
      "a repository entry whose project key is not a string",
      "repos",
      [{ slug: "api", project: { key: 7 } }],
      false,
    ],
    [
      "a repository entry whose project is in lower case",
      "repos",
      [{ slug: "api", project: { key: "eng" } }],
      true,
    ],
  ];
  it.each(entries)("reads %s", async (_what, endpoint, values, allowed) => {
    h.dc.setFault({ endpoint, kind: "json", body: { values, isLastPage: true } });
    const allow =
      endpoint === "projects"
        ? { projects: ["ENG"] }
        : { repositories: ["ENG/api"], permission: "write" as const };
    expect(await check(allow)).toMatchObject({ allowed });
  });

  const definiteNo: [string, FakeDataCenterFault][] = [
    [
      "a 401 with the token accepted",
      { endpoint: "projects", kind: "json", status: 401, body: { errors: [] } },
    ],
    [
      "a 403 with the token accepted",
      { endpoint: "projects", kind: "json", status: 403, body: { errors: [] } },
    ],
    ["a 404", { endpoint: "projects", kind: "json", status: 404, body: { errors: [] } }],
  ];
  it.each(definiteNo)("takes %s from the project list as no", async (_what, fault) => {
    h.dc.setFault(fault);
    expect(await check({ projects: ["ENG"] })).toMatchObject({ allowed: false });
  });
  it.each(definiteNo)("takes %s from a repository list as no", async (_what, fault) => {
    h.dc.setFault({ ...fault, endpoint: "repos" });
    expect(await check({ repositories: ["ENG/api"], permission: "write" })).toMatchObject({ allowed: false });
  });
  it.each(definiteNo)("takes %s from a repository as no", async (_what, fault) => {
    h.dc.setFault({ ...fault, endpoint: "repos" });
    expect(await check({ repositories: ["ENG/api"] })).toMatchObject({ allowed: false });
  });

  it("takes any 200 from a repository as read", async () => {
    h.dc.setFault({ endpoint: "repos", kind: "json", body: {} });
    expect(await check({ repositories: ["ENG/api"] }, "eve")).toMatchObject({ allowed: true });
  });

  it("follows nextPageStart past a page without the project", async () => {
    h.dc.setFault({
      endpoint: "projects",
      kind: "json",
      times: 1,
      body: { values: [{ key: "OPS" }], isLastPage: false, nextPageStart: 1 },
    });
    const before = h.dc.requests.length;
    // The list at read is ENG, PUB (public): the second page, from 1, holds PUB.
    expect(await check({ projects: ["PUB"] })).toMatchObject({ allowed: true, project: "PUB" });
    expect(h.dc.requests.slice(before).map((r) => query(r.url).start)).toEqual(["0", "1"]);
  });
});

describe("what is an outage, never a no", () => {
  const outages: [string, FakeDataCenterFault, string][] = [
    [
      "a 400 from the list",
      { endpoint: "projects", kind: "json", status: 400, body: { errors: [] } },
      "Bitbucket answered HTTP 400.",
    ],
    [
      "a page without values",
      { endpoint: "projects", kind: "json", body: { isLastPage: true } },
      "malformed or endless",
    ],
    ["a null page", { endpoint: "projects", kind: "json", body: null }, "malformed or endless"],
    [
      "a page neither last nor with a next start",
      { endpoint: "projects", kind: "json", body: { values: [] } },
      "malformed or endless",
    ],
    [
      "a page whose next start is a string",
      { endpoint: "projects", kind: "json", body: { values: [], isLastPage: false, nextPageStart: "1" } },
      "malformed or endless",
    ],
    [
      "a page whose next start does not move on",
      { endpoint: "projects", kind: "json", body: { values: [], isLastPage: false, nextPageStart: 0 } },
      "malformed or endless",
    ],
    [
      "a page whose next start goes back",
      { endpoint: "projects", kind: "json", body: { values: [], isLastPage: false, nextPageStart: -1 } },
      "malformed or endless",
    ],
    [
      "a 400 from a repository",
      { endpoint: "repos", kind: "json", status: 400, body: { errors: [] } },
      "Bitbucket answered HTTP 400.",
    ],
  ];
  it.each(outages)("%s: BITBUCKET_UNAVAILABLE", async (_what, fault, message) => {
    h.dc.setFault(fault);
    const allow = fault.endpoint === "projects" ? { projects: ["ENG"] } : { repositories: ["ENG/api"] };
    const err = await check(allow).then(
      () => null,
      (e: Error & { code?: string }) => e,
    );
    expect(err?.code).toBe("BITBUCKET_UNAVAILABLE");
    expect(err?.message).toContain(message);
  });

  const permissions: BitbucketDataCenterPermission[] = ["read", "write", "admin"];
  const faults: [string, Record<string, unknown>, string][] = [
    ["a 500", { kind: "status", status: 500 }, "BITBUCKET_UNAVAILABLE"],
    ["a 429", { kind: "status", status: 429, retryAfter: 5 }, "BITBUCKET_RATE_LIMITED"],
    ["an HTML page", { kind: "html" }, "BITBUCKET_UNAVAILABLE"],
    ["a stall", { kind: "stall" }, "BITBUCKET_TIMEOUT"],
  ];
  const matrix = permissions.flatMap((permission) =>
    (["projects", "repos"] as const).flatMap((endpoint) =>
      faults.map(([what, fault, code]) => [what, endpoint, permission, fault, code] as const),
    ),
  );
  it.each(matrix)("%s from %s at %s keeps its code", async (_what, endpoint, permission, fault, code) => {
    h.dc.setFault({ ...fault, endpoint } as FakeDataCenterFault);
    const allow = endpoint === "projects" ? { projects: ["ENG"] } : { repositories: ["ENG/api"] };
    await expect(check({ ...allow, permission })).rejects.toMatchObject({ code });
  });

  it("a page whose next start moves on is followed, once", async () => {
    h.dc.setFault({
      endpoint: "projects",
      kind: "json",
      body: { values: [], isLastPage: false, nextPageStart: 1 },
    });
    const before = h.dc.requests.length;
    await expect(check({ projects: ["ENG"] })).rejects.toMatchObject({ code: "BITBUCKET_UNAVAILABLE" });
    // The second page says 1 again: it does not move on, so the list is not an answer.
    expect(h.dc.requests.length - before).toBe(2);
  });

  it("one repository's outage does not outweigh another's yes", async () => {
    h.dc.setFault({ endpoint: "repos", kind: "status", status: 500, times: 1 });
    expect(await check({ repositories: ["ENG/api", "ENG/web"] })).toMatchObject({ allowed: true });
  });

  it("one repository's outage outweighs the others' no", async () => {
    h.dc.setFault({ endpoint: "repos", kind: "status", status: 500, times: 1 });
    await expect(check({ repositories: ["ENG/api", "OPS/deploy"] }, "eve")).rejects.toMatchObject({
      code: "BITBUCKET_UNAVAILABLE",
    });
  });

  it.each([
    [17, 17],
    [0, 0],
    [-1, null],
    [1.5, null],
  ])("a 429 with Retry-After %p keeps retryAfter %p", async (sent, kept) => {
    h.dc.setFault({ endpoint: "projects", kind: "status", status: 429, retryAfter: sent });
    await expect(check({ projects: ["ENG"] })).rejects.toMatchObject({
      code: "BITBUCKET_RATE_LIMITED",
      retryAfter: kept,
    });
  });

  it("a 403 without X-AUSERNAME is a dead token", async () => {
    h.dc.setFault({ endpoint: "projects", kind: "status", status: 403 });
    await expect(check({ projects: ["ENG"] })).rejects.toMatchObject({ code: "BITBUCKET_TOKEN_REJECTED" });
  });

  it("a 503 is an outage, a 499 is not", async () => {
    h.dc.setFault({ endpoint: "projects", kind: "status", status: 503, times: 1 });
    await expect(check({ projects: ["ENG"] })).rejects.toMatchObject({ code: "BITBUCKET_UNAVAILABLE" });
    h.dc.setFault({ endpoint: "projects", kind: "json", status: 499, body: {} });
    await expect(check({ projects: ["ENG"] })).rejects.toMatchObject({
      code: "BITBUCKET_UNAVAILABLE",
      message: "Bitbucket answered HTTP 499.",
    });
  });
});

describe("checkBitbucketAccess's arguments on Data Center", () => {
  it.each([
    [{ accessToken: "" }, '"accessToken" is required.'],
    [{ accessToken: undefined }, '"accessToken" is required.'],
    [{ allow: undefined }, 'option "allow" must be an object such as { projects: ["ENG"] }.'],
  ])("refuses %j with a TypeError", async (change, message) => {
    const options = { serverUrl: h.dc.url, accessToken: token.ada, allow: { projects: ["ENG"] }, ...change };
    const before = h.dc.requests.length;
    await expect(checkBitbucketAccess(options as never)).rejects.toThrow(
      new TypeError(`checkBitbucketAccess: ${message}`),
    );
    expect(h.dc.requests.length).toBe(before);
  });
});

describe("an instance whose list never ends", () => {
  it("is asked twenty pages, then the list is an outage", async () => {
    // A loopback server that answers every project page with a next one, as a broken instance might.
    const asked: string[] = [];
    const server = createServer((req, res) => {
      asked.push(req.url ?? "");
      const start = Number(new URL(req.url ?? "/", "http://x").searchParams.get("start"));
      res
        .writeHead(200, { "Content-Type": "application/json", "X-AUSERNAME": "ada", "X-AUSERID": "101" })
        .end(JSON.stringify({ values: [], isLastPage: false, nextPageStart: start + 1 }));
    });
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    try {
      const err = await checkBitbucketAccess({
        serverUrl: url,
        accessToken: "t",
        allow: { projects: ["ENG"] },
        timeout: 5000,
      }).then(
        () => null,
        (e: Error & { code?: string }) => e,
      );
      expect({ code: err?.code, message: err?.message }).toEqual({
        code: "BITBUCKET_UNAVAILABLE",
        message: "Bitbucket's paged answer is malformed or endless.",
      });
      expect(asked.map((u) => new URL(u, "http://x").searchParams.get("start"))).toEqual(
        Array.from({ length: 20 }, (_, i) => String(i)),
      );
    } finally {
      server.closeAllConnections();
      await new Promise((resolve) => server.close(resolve));
    }
  });
});

describe("what an error keeps", () => {
  it("names the status and the path in the cause, never the token", async () => {
    h.dc.setFault({ endpoint: "projects", kind: "status", status: 500 });
    const err = (await check({ projects: ["ENG"] }).catch((e: unknown) => e)) as Error & { cause?: Error };
    expect(err.message).toBe("Bitbucket answered HTTP 500.");
    expect(err.cause?.message).toMatch(
      /^Bitbucket Data Center answered HTTP 500 for \/rest\/api\/latest\/projects\?/,
    );
    h.dc.clearFaults();
    h.dc.setFault({ endpoint: "projects", kind: "status", status: 401 });
    const dead = (await check({ projects: ["ENG"] }).catch((e: unknown) => e)) as Error & { cause?: Error };
    expect(dead.cause?.message).toMatch(
      /^Bitbucket Data Center answered HTTP 401 for \/rest\/api\/latest\/projects\?/,
    );
    expect(JSON.stringify([err, dead, err.cause?.message, dead.cause?.message])).not.toContain(token.ada);
  });

  it("takes a 404 HTML page from a repository as no: only a 200's body is read", async () => {
    h.dc.setFault({ endpoint: "repos", kind: "html", status: 404 });
    expect(await check({ repositories: ["ENG/api"] })).toMatchObject({ allowed: false });
  });
});
