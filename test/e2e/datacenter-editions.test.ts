// Cloud and Data Center on one app: options of the wrong edition refused at construction, states
// bound to the router (edition and instance) that issued them, keys that never collide, linking
// across editions, and the Data Center fetchBitbucket path rule.
import { afterEach, describe, expect, it } from "@jest/globals";
import { lucia } from "lucia";
import { bitbucketRouter } from "../../src/index.js";
import { isRestPath } from "../../src/editions/datacenter/api.js";
import { approveAtFake } from "../helpers/harness.js";
import {
  routeBitbucketTo,
  startFakeBitbucket,
  type FakeBitbucket,
  type FakeDataCenterFault,
} from "../../src/testing/index.js";
import {
  approveAtDataCenter,
  dcLogin,
  startDataCenterHarness,
  type DataCenterHarness,
  closeDataCenterHarness,
} from "../helpers/datacenter.js";

let h: DataCenterHarness | undefined;
let cloud: FakeBitbucket | undefined;
let unroute: (() => void) | undefined;
afterEach(async () => {
  await closeDataCenterHarness(h);
  unroute?.();
  await cloud?.close();
  h = cloud = unroute = undefined;
});

const auth = lucia({ adapter: () => ({}) as never, env: "DEV" });
const base = {
  clientId: "id",
  clientSecret: "secret",
  redirectUri: "https://app.test/login/bitbucket/callback",
};
const dc = { ...base, serverUrl: "https://git.acme.test/bitbucket" };

describe("construction", () => {
  it.each([
    [{ ...dc, serverUrl: "http://git.acme.test/bitbucket" }, 'option "serverUrl" must be an https URL'],
    [
      { ...dc, serverUrl: "https://git.acme.test/bitbucket?x=1" },
      'option "serverUrl" must not have a ?query',
    ],
    [
      { ...dc, serverUrl: "https://git.acme.test/bitbucket#top" },
      'option "serverUrl" must not have a #fragment',
    ],
    [{ ...dc, serverUrl: "https://git.acme.test/bitbucket?" }, 'option "serverUrl" must not have a ?query'],
    [
      { ...dc, serverUrl: "https://git.acme.test/bitbucket#" },
      'option "serverUrl" must not have a #fragment',
    ],
    [{ ...dc, serverUrl: "https://u:p@git.acme.test/" }, 'option "serverUrl" must not carry credentials'],
    [{ ...dc, serverUrl: "https://u@git.acme.test/" }, 'option "serverUrl" must not carry credentials'],
    [{ ...dc, serverUrl: "https://:p@git.acme.test/" }, 'option "serverUrl" must not carry credentials'],
    [{ ...dc, serverUrl: "ftp://git.acme.test/" }, 'option "serverUrl" must be an https URL'],
    [{ ...dc, serverUrl: "ftp://localhost/bitbucket" }, 'option "serverUrl" must be an https URL'],
    [{ ...dc, serverUrl: "ws://127.0.0.1/bitbucket" }, 'option "serverUrl" must be an https URL'],
    [{ ...dc, serverUrl: "http://localhost.evil.test/" }, 'option "serverUrl" must be an https URL'],
    [{ ...dc, serverUrl: 42 }, 'option "serverUrl" must be the instance\'s base URL'],
    [{ ...dc, serverUrl: "/bitbucket" }, 'option "serverUrl" must be an absolute URL'],
    [{ ...dc, serverUrl: "" }, 'option "serverUrl" must be the instance\'s base URL'],
    [{ ...dc, fetchEmail: true }, 'option "fetchEmail" is for Bitbucket Cloud'],
    [{ ...dc, allow: { workspaces: ["acme"] } }, 'option "allow.workspaces" is for Bitbucket Cloud'],
    [{ ...dc, allow: { projects: ["ENG"], role: "owner" } }, 'option "allow.role" is for Bitbucket Cloud'],
    [{ ...dc, providerId: "bitbucket" }, 'option "providerId" must be letters'],
    [{ ...dc, providerId: "a:b" }, 'option "providerId" must be letters'],
    [{ ...dc, scope: [] }, 'option "scope" must be a non-empty array'],
    [{ ...dc, scope: ["repo_read"] }, 'option "scope" must be a non-empty array'],
    [{ ...dc, allow: {} }, 'option "allow" must name "projects" or "repositories"'],
    [{ ...dc, allow: { projects: ["1ENG"] } }, 'option "allow.projects" must hold project keys'],
    [{ ...dc, allow: { repositories: ["ENG/.."] } }, 'option "allow.repositories" must hold "KEY/repo-slug"'],
    [{ ...dc, allow: { repositories: ["ENG"] } }, 'option "allow.repositories" must hold "KEY/repo-slug"'],
    [{ ...dc, allow: { projects: ["ENG!"] } }, 'option "allow.projects" must hold project keys'],
    [{ ...dc, allow: { projects: ["x~jane"] } }, 'option "allow.projects" must hold project keys'],
    [{ ...dc, allow: { projects: ["~jane!"] } }, 'option "allow.projects" must hold project keys'],
    [
      { ...dc, allow: { repositories: ["ENG/api!"] } },
      'option "allow.repositories" must hold "KEY/repo-slug"',
    ],
    [
      { ...dc, allow: { repositories: ["ENG/!api"] } },
      'option "allow.repositories" must hold "KEY/repo-slug"',
    ],
    [{ ...dc, allow: "ENG" }, 'option "allow" must be an object such as { projects: ["ENG"] }.'],
    [{ ...dc, allow: ["ENG"] }, 'option "allow" must be an object such as { projects: ["ENG"] }.'],
    [
      { ...dc, serverUrl: "" },
      'option "serverUrl" must be the instance\'s base URL with its context path, such as "https://git.example.com/bitbucket".',
    ],
    [{ ...dc, allow: { projects: ["ENG"], permission: "constructor" } }, 'option "allow.permission" must be'],
    [
      { ...dc, allow: { projects: ["ENG"], permision: "read" } },
      'unknown option "allow.permision". Did you mean "allow.permission"?',
    ],
    [{ ...base, providerId: "bitbucket-dc" }, 'option "providerId" is for Bitbucket Data Center'],
    [{ ...base, scope: ["REPO_READ"] }, 'option "scope" is for Bitbucket Data Center'],
    [{ ...base, allow: { projects: ["ENG"] } }, 'option "allow.projects" is for Bitbucket Data Center'],
    [
      { ...base, allow: { workspaces: ["a"], permission: "read" } },
      'option "allow.permission" is for Bitbucket Data Center',
    ],
    [
      { ...dc, serverUrl: "https://git.acme.test/bitbucket", serverUrI: "x" },
      'unknown option "serverUrI". Did you mean "serverUrl"?',
    ],
  ])("refuses %j with a TypeError naming the option", (options, message) => {
    expect(() => bitbucketRouter(auth, options as never)).toThrow(
      new RegExp(`^bitbucketRouter: ${escape(message)}`),
    );
  });

  it.each([
    "https://git.acme.test/bitbucket/",
    "https://git.acme.test",
    "http://localhost:7990/bitbucket",
    "http://127.0.0.1:7990",
    "http://[::1]:7990/bitbucket",
  ])("accepts serverUrl %s", (serverUrl) => {
    expect(() => bitbucketRouter(auth, { ...dc, serverUrl })).not.toThrow();
  });

  it.each([
    ["~jane@acme.com", "x"],
    ["ENG", "api.v2_x-y"],
  ])("accepts the personal or plain project %s with the repository %s", (project, slug) => {
    const allow = { projects: [project], repositories: [`${project}/${slug}`] };
    expect(() => bitbucketRouter(auth, { ...dc, allow })).not.toThrow();
  });

  it.each(["https://git.acme.test/bitbucket/", "https://git.acme.test/bitbucket//"])(
    "drops the trailing slashes of %s",
    async (serverUrl) => {
      const start = await (
        await import("supertest")
      )
        .default(
          (await import("express"))
            .default()
            .use((await import("cookie-parser")).default("s".repeat(32)))
            .use(bitbucketRouter(auth, { ...dc, serverUrl })),
        )
        .get("/login/bitbucket");
      expect(new URL(start.headers.location as string).pathname).toBe(
        "/bitbucket/rest/oauth2/latest/authorize",
      );
    },
  );

  it.each(["/rest/api/latest/projects?limit=1", "/rest/api/latest/projects?limit=1&start=0"])(
    "lets fetchBitbucket ask %s",
    (path) => {
      expect(isRestPath(path)).toBe(true);
    },
  );

  it.each([
    "/rest/api/latest/projects?x y",
    "/rest/api/latest/projects#x",
    "/rest/api/latest/projects?x#y",
    "/plugins/rest/api/latest/projects",
    " /rest/api/latest/projects",
  ])("refuses the fetchBitbucket path %j", (path) => {
    expect(isRestPath(path)).toBe(false);
  });
});

const escape = (s: string) => s.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");

describe("states are bound to the router that issued them", () => {
  it("refuses a Cloud state at the Data Center callback, and the other way round", async () => {
    cloud = await startFakeBitbucket({ callbackUrl: "http://app.test/" }); // a prefix, as Bitbucket takes it
    unroute = routeBitbucketTo(cloud.url);
    h = await startDataCenterHarness({ mount: "/dc", cloud: { mount: "/cloud" } });
    const harness = h;
    // A login started at one router, its state cookie and ?state carried to the other's callback.
    const crossOver = async (from: string, to: string) => {
      const start = await harness.agent().get(`${from}/login/bitbucket`);
      const cookie = ((start.headers["set-cookie"] as unknown as string[])[0] ?? "").split(";")[0] ?? "";
      const state = new URL(start.headers.location as string).searchParams.get("state");
      const res = await harness
        .agent()
        .get(`${to}/login/bitbucket/callback?code=abc&state=${state}`)
        .set("Cookie", cookie);
      return { status: res.status, error: res.body.error };
    };
    const refused = { status: 400, error: "STATE_COOKIE_INVALID" };
    expect(await crossOver("/cloud", "/dc")).toEqual(refused);
    expect(await crossOver("/dc", "/cloud")).toEqual(refused);
    expect(await h.db.counts()).toEqual({ users: 0, keys: 0, sessions: 0 });
  });

  it("refuses a state of another Data Center router (another provider id) at this one's callback", async () => {
    h = await startDataCenterHarness({ mount: "/one" });
    const other = bitbucketRouter(h.auth, {
      serverUrl: h.dc.url,
      clientId: "fake-client-id",
      clientSecret: "fake-client-secret",
      redirectUri: "http://app.test/one/login/bitbucket/callback",
      providerId: "bitbucket-other",
    });
    const express = (await import("express")).default;
    const cookieParser = (await import("cookie-parser")).default;
    const app2 = express().use(cookieParser("test-cookie-secret-0123456789")).use("/one", other);
    const start = await (await import("supertest")).default(app2).get("/one/login/bitbucket");
    const cookie = ((start.headers["set-cookie"] as unknown as string[])[0] ?? "").split(";")[0] ?? "";
    const callback = await approveAtDataCenter(start.headers.location as string);
    const res = await h.agent().get(callback).set("Cookie", cookie);
    expect({ status: res.status, error: res.body.error }).toEqual({
      status: 400,
      error: "STATE_COOKIE_INVALID",
    });
  });
});

describe("both editions in one app", () => {
  it("keeps their keys apart, and links a Data Center account to a Cloud user on purpose", async () => {
    cloud = await startFakeBitbucket({ callbackUrl: "http://app.test/" }); // a prefix, as Bitbucket takes it
    unroute = routeBitbucketTo(cloud.url);
    h = await startDataCenterHarness({ mount: "/dc", cloud: { mount: "/cloud" } });
    const agent = h.agent();
    const cloudStart = await agent.get("/cloud/login/bitbucket");
    const back = await approveAtFake(
      (cloudStart.headers.location as string).replace("https://bitbucket.org", cloud.url),
    );
    expect((await agent.get(back)).status).toBe(302);
    const me = (await agent.get("/me")).body as { userId: string };

    // A plain Data Center login is someone else: it never links.
    const stranger = h.agent();
    await dcLogin(stranger, "/dc");
    expect((await stranger.get("/me")).body.userId).not.toBe(me.userId);
    await h.auth.invalidateAllUserSessions((await stranger.get("/me")).body.userId);

    // Linking under the Cloud user's session: the Data Center account of Jane joins that user.
    h.dc.approveAs("jane@acme.com");
    const linkStart = await agent.post("/dc/login/bitbucket/link").set("Origin", "http://app.test");
    expect(linkStart.status).toBe(303);
    const linked = await agent.get(await approveAtDataCenter(linkStart.headers.location as string));
    expect(linked.status).toBe(302);
    const keys = await h.auth.getAllUserKeys(me.userId);
    expect(keys.map((k) => k.providerId).sort()).toEqual(["bitbucket", "bitbucket-datacenter"]);
    expect(keys.find((k) => k.providerId === "bitbucket-datacenter")?.providerUserId).toBe("102");
  });
});

describe("fetchBitbucket on Data Center", () => {
  it("reaches {serverUrl}/rest/… and refuses anything else without sending it", async () => {
    const results: unknown[] = [];
    h = await startDataCenterHarness({
      router: {
        scope: ["PUBLIC_REPOS", "REPO_READ"],
        authorize: async ({ fetchBitbucket }) => {
          results.push(await fetchBitbucket("/rest/api/latest/projects/ENG"));
          results.push(await fetchBitbucket("/rest/api/latest/projects/OPS/repos/deploy"));
          results.push(await fetchBitbucket("/rest/api/latest/projects/NOPE"));
          for (const bad of [
            "/rest/../plugins/servlet/x",
            "/rest/api/%2e%2e/%2e%2e/x",
            "/rest/api/.%2e/x",
            "/rest/api\\..\\x",
            "//evil.test/rest/api",
            "https://evil.test/rest/api",
            "/2.0/user",
            "/plugins/servlet/applinks/whoami",
          ]) {
            await fetchBitbucket(bad).then(
              () => results.push(`sent ${bad}`),
              (err: Error) => results.push(err.name),
            );
          }
          return true;
        },
      },
    });
    expect((await dcLogin(h.agent())).status).toBe(302);
    expect(results[0]).toMatchObject({ key: "ENG" });
    // Ada may not see OPS (401 with the token accepted) and NOPE does not exist (404): both "no".
    expect(results.slice(1, 3)).toEqual([null, null]);
    expect(results.slice(3)).toEqual(Array(8).fill("TypeError"));
    expect(h.dc.requests.some((r) => /plugins|evil|2\.0/.test(r.url))).toBe(false);
  });
});

describe("fetchBitbucket under the default scope, as a real instance answers it", () => {
  it("an authorize hook reading a private project with PUBLIC_REPOS alone gets no, a public one its JSON", async () => {
    const results: unknown[] = [];
    h = await startDataCenterHarness({
      router: {
        authorize: async ({ fetchBitbucket }) => {
          results.push(await fetchBitbucket("/rest/api/latest/projects/ENG"));
          results.push(await fetchBitbucket("/rest/api/latest/projects/PUB"));
          return true;
        },
      },
    });
    expect((await dcLogin(h.agent())).status).toBe(302);
    // Ada writes to ENG, but the token was granted PUBLIC_REPOS only: ask for REPO_READ with `scope`.
    expect(results[0]).toBeNull();
    expect(results[1]).toMatchObject({ key: "PUB" });
  });
});

describe("fetchBitbucket's answers on Data Center", () => {
  // What the authorize hook sees for each answer of the instance, one request each (`times: 1`).
  async function askOnce(fault: FakeDataCenterFault | null) {
    const seen: unknown[] = [];
    h = await startDataCenterHarness({
      router: {
        scope: ["PUBLIC_REPOS", "REPO_READ"],
        authorize: async ({ fetchBitbucket }) => {
          if (fault) h!.dc.setFault(fault);
          await fetchBitbucket("/rest/api/latest/projects/ENG").then(
            (body) => seen.push({ body }),
            (err: Error & { code?: string }) =>
              seen.push({ error: err.code ?? err.name, message: err.message }),
          );
          return true;
        },
      },
    });
    const r = await dcLogin(h.agent());
    return { status: r.status, seen };
  }

  it.each([
    [200, { answer: 1 }, { answer: 1 }],
    [404, { errors: [] }, null],
    [401, { errors: [] }, null],
    [403, { errors: [] }, null],
  ])("gives the hook a %i (token accepted, body %j) as %j", async (status, body, expected) => {
    const r = await askOnce({ endpoint: "projects", kind: "json", status, body, times: 1 });
    expect(r).toEqual({ status: 302, seen: [{ body: expected }] });
  });

  it("gives the hook the real JSON of a 200 when nothing is faked", async () => {
    const r = await askOnce(null);
    expect(r.seen).toEqual([{ body: expect.objectContaining({ key: "ENG" }) }]);
  });

  it.each([400, 409, 204])("throws BITBUCKET_UNAVAILABLE from the hook on a %i", async (status) => {
    const r = await askOnce({ endpoint: "projects", kind: "json", status, body: { errors: [] }, times: 1 });
    expect(r.seen).toEqual([
      { error: "BITBUCKET_UNAVAILABLE", message: `Bitbucket answered HTTP ${status}.` },
    ]);
  });

  it("throws BITBUCKET_TOKEN_REJECTED from the hook on a 401 that names nobody", async () => {
    const r = await askOnce({ endpoint: "projects", kind: "status", status: 401, times: 1 });
    expect(r.seen).toEqual([{ error: "BITBUCKET_TOKEN_REJECTED", message: expect.any(String) }]);
  });

  it("names the rule and the path it refused in the TypeError", async () => {
    const messages: string[] = [];
    h = await startDataCenterHarness({
      router: {
        authorize: async ({ fetchBitbucket }) => {
          await fetchBitbucket("/2.0/user").catch((err: Error) => messages.push(err.message));
          return true;
        },
      },
    });
    expect((await dcLogin(h.agent())).status).toBe(302);
    expect(messages).toEqual([
      'fetchBitbucket: expected a Data Center REST path such as "/rest/api/latest/projects"; got "/2.0/user".',
    ]);
  });
});
