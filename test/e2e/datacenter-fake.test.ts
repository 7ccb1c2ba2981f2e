// The shipped fake Data Center as other people's test suites meet it: its OAuth provider's error
// paths, anonymous answers, paging, faults, controls, the context path, and the CLI.
import { afterAll, afterEach, beforeAll, describe, expect, it } from "@jest/globals";
import {
  fakeDataCenterDirectory,
  startFakeDataCenter,
  type FakeDataCenter,
} from "../../src/testing/index.js";
import { spawnUntil } from "../helpers/processes.js";

let dc: FakeDataCenter;
beforeAll(
  async () => void (dc = await startFakeDataCenter({ maxPageSize: 2, redirectUris: ["http://app.test/cb"] })),
);
afterAll(() => dc.close());

const authorize = (params: Record<string, string>) =>
  fetch(`${dc.url}/rest/oauth2/latest/authorize?${new URLSearchParams(params)}`, { redirect: "manual" });
const valid = {
  client_id: "fake-client-id",
  redirect_uri: "http://app.test/cb",
  response_type: "code",
  state: "s1",
};

describe("authorize", () => {
  it("answers 303 back to the app on every outcome it can redirect", async () => {
    const ok = await authorize(valid);
    expect(ok.status).toBe(303);
    expect(new URL(ok.headers.get("location") ?? "").searchParams.get("state")).toBe("s1");
    const badScope = await authorize({ ...valid, scope: "REPO_READ NOPE" });
    expect(badScope.status).toBe(303);
    expect(new URL(badScope.headers.get("location") ?? "").searchParams.get("error")).toBe("invalid_scope");
    dc.deny();
    const denied = await authorize(valid);
    expect(new URL(denied.headers.get("location") ?? "").searchParams.get("error")).toBe("access_denied");
    dc.approveAs("ada");
  });

  it("shows its own error page, with no redirect, for an unknown client or a redirect URI that is not absolute", async () => {
    for (const bad of [
      { ...valid, client_id: "other" },
      { ...valid, redirect_uri: "/cb" },
    ]) {
      const res = await authorize(bad);
      expect(res.status).toBe(400);
      expect(res.headers.get("location")).toBeNull();
      expect(res.headers.get("content-type")).toMatch(/text\/html/);
    }
  });

  it("answers a wrong method with 405 and Allow", async () => {
    const res = await fetch(`${dc.url}/rest/oauth2/latest/authorize`, { method: "POST" });
    expect(res.status).toBe(405);
    expect(res.headers.get("allow")).toBe("GET");
  });
});

describe("the REST API", () => {
  it("answers an anonymous application-properties with 200 and no user headers", async () => {
    const res = await fetch(`${dc.url}/rest/api/latest/application-properties`);
    expect(res.status).toBe(200);
    expect(res.headers.get("x-ausername")).toBeNull();
    expect(((await res.json()) as { displayName: string }).displayName).toBe("Bitbucket");
  });

  it("answers an anonymous user lookup 401 with the errors envelope", async () => {
    const res = await fetch(`${dc.url}/rest/api/latest/users?filter=ada`);
    expect(res.status).toBe(401);
    const body = (await res.json()) as { errors: { message: string; exceptionName: string }[] };
    expect(body.errors[0]?.exceptionName).toMatch(/AuthenticationException$/);
  });

  it("serves only under its context path", async () => {
    const res = await fetch(`${new URL(dc.url).origin}/rest/api/latest/application-properties`);
    expect(res.status).toBe(404);
  });

  it("pages with isLastPage and nextPageStart", async () => {
    // Ada may read ENG (her own permission) and PUB (public): with one per page, two pages.
    const token = await tokenFor("ada");
    const page = async (start: number) =>
      (await (
        await fetch(`${dc.url}/rest/api/latest/projects?permission=PROJECT_READ&limit=1&start=${start}`, {
          headers: { Authorization: `Bearer ${token}` },
        })
      ).json()) as { values: { key: string }[]; isLastPage: boolean; nextPageStart?: number };
    const first = await page(0);
    expect(first).toMatchObject({ isLastPage: false, nextPageStart: 1 });
    expect(first.values.map((p) => p.key)).toEqual(["ENG"]);
    const second = await page(1);
    expect(second.isLastPage).toBe(true);
    expect(second.nextPageStart).toBeUndefined();
    expect(second.values.map((p) => p.key)).toEqual(["PUB"]);
  });

  it("names the user on every authenticated answer, a 404 included, URL-encoding a non-ASCII name", async () => {
    const token = await tokenFor("zoë");
    const res = await fetch(`${dc.url}/rest/api/latest/projects/NOPE`, {
      headers: { Authorization: `Bearer ${token}` },
    });
    expect(res.status).toBe(404);
    expect(res.headers.get("x-ausername")).toBe("zo%C3%AB");
    expect(res.headers.get("x-auserid")).toBe("103");
  });
});

describe("faults", () => {
  it("answers a 429 with Retry-After, counting down `times`", async () => {
    dc.setFault({ endpoint: "application-properties", kind: "status", status: 429, retryAfter: 9, times: 1 });
    const limited = await fetch(`${dc.url}/rest/api/latest/application-properties`);
    expect(limited.status).toBe(429);
    expect(limited.headers.get("retry-after")).toBe("9");
    expect((await fetch(`${dc.url}/rest/api/latest/application-properties`)).status).toBe(200);
  });

  it("answers an HTML page with 200 when asked to", async () => {
    dc.setFault({ endpoint: "projects", kind: "html" });
    const res = await fetch(`${dc.url}/rest/api/latest/projects`);
    expect(res.headers.get("content-type")).toMatch(/text\/html/);
    dc.clearFaults();
  });
});

describe("the HTTP controls", () => {
  it("answer under the context path as at the root, and are not recorded as requests", async () => {
    const origin = new URL(dc.url).origin;
    const before = dc.requests.length;
    const under = await fetch(`${dc.url}/_fake/user`, { method: "POST", body: "eve" });
    expect({ status: under.status, body: await under.json() }).toEqual({
      status: 200,
      body: { user: "eve" },
    });
    const root = await fetch(`${origin}/_fake/user`, { method: "POST", body: "ada" });
    expect({ status: root.status, body: await root.json() }).toEqual({ status: 200, body: { user: "ada" } });
    expect(dc.requests.length).toBe(before);
    // Only the context path itself: another prefix is an ordinary (unknown) request.
    const elsewhere = await fetch(`${origin}/elsewhere/_fake/user`, { method: "POST", body: "eve" });
    expect(elsewhere.status).not.toBe(200);
    expect(dc.requests.length).toBe(before + 1);
  });

  it("rename a user keeping the id, and set or remove a permission", async () => {
    const origin = new URL(dc.url).origin;
    const post = (path: string, body: string, method = "POST") =>
      fetch(`${origin}/_fake/${path}`, { method, body }).then((r) => r.json());
    expect(await post("users/106/rename", "name=eve2&slug=eve2")).toMatchObject({ id: 106, name: "eve2" });
    expect(await post("users/eve2/permissions/OPS", "admin", "PUT")).toMatchObject({ permission: "admin" });
    const token = await tokenFor("eve2");
    const ops = await fetch(`${dc.url}/rest/api/latest/projects/OPS`, {
      headers: { Authorization: `Bearer ${token}` },
    });
    expect(ops.status).toBe(200);
    expect(ops.headers.get("x-auserid")).toBe("106");
    expect(await post("users/eve2/permissions/OPS", "", "DELETE")).toMatchObject({ permission: null });
    expect(await post("users/nobody/permissions/OPS", "read", "PUT")).toMatchObject({
      error: expect.any(String),
    });
  });
});

describe("the CLI", () => {
  it("starts a fake Data Center with --datacenter and says where", async () => {
    const cli = await spawnUntil("npx", ["tsx", "src/testing/cli.ts", "--datacenter", "--port", "0"], {
      ready: /listening on http/,
    });
    try {
      const url = /listening on (\S+)/.exec(cli.output())?.[1] ?? "";
      expect(url).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/bitbucket$/);
      expect((await fetch(`${url}/rest/api/latest/application-properties`)).status).toBe(200);
    } finally {
      await cli.stop();
    }
  });
});

/** A live access token of `name`, through the real authorize and token steps (no PKCE). */
async function tokenFor(name: string): Promise<string> {
  dc.approveAs(name);
  const code = new URL((await authorize(valid)).headers.get("location") ?? "").searchParams.get("code") ?? "";
  dc.approveAs("ada");
  const res = await fetch(`${dc.url}/rest/oauth2/latest/token`, {
    method: "POST",
    body: new URLSearchParams({
      grant_type: "authorization_code",
      code,
      redirect_uri: valid.redirect_uri,
      client_id: "fake-client-id",
      client_secret: "fake-client-secret",
    }),
  });
  return ((await res.json()) as { access_token: string }).access_token;
}

describe("the clients and projects it is given", () => {
  let own: FakeDataCenter;
  const linked = {
    clientId: "linked-app",
    clientSecret: "linked-secret",
    redirectUris: ["https://app.test/cb"],
  };
  beforeAll(async () => {
    own = await startFakeDataCenter({
      clients: [
        linked,
        { clientId: "open-app", clientSecret: "open-secret", redirectUris: ["https://any.test/cb"] },
      ],
      projects: {
        INT: { name: "Internal", public: false, repos: ["tools"] },
        OSS: { name: "Open", public: true, repos: [] },
      },
      users: [
        {
          id: 7,
          name: "ada",
          slug: "ada",
          displayName: "Ada",
          emailAddress: "ada@x.test",
          active: true,
          type: "NORMAL",
          projects: { INT: "read" },
        },
      ],
    });
  });
  afterAll(() => own.close());

  const authorizeAt = (params: Record<string, string>) =>
    fetch(
      `${own.url}/rest/oauth2/latest/authorize?${new URLSearchParams({ response_type: "code", state: "s", ...params })}`,
      {
        redirect: "manual",
      },
    );
  const tokenAt = (form: Record<string, string>) =>
    fetch(`${own.url}/rest/oauth2/latest/token`, {
      method: "POST",
      headers: { "content-type": "application/x-www-form-urlencoded" },
      body: new URLSearchParams(form),
    });

  it("refuses a redirect URI the client did not register, byte for byte, on its own page", async () => {
    for (const redirect_uri of [
      "https://app.test/cb/",
      "https://app.test/cb?x=1",
      "http://app.test/cb",
      "https://other.test/cb",
    ]) {
      const res = await authorizeAt({ client_id: "linked-app", redirect_uri });
      expect({ redirect_uri, status: res.status, location: res.headers.get("location") }).toEqual({
        redirect_uri,
        status: 400,
        location: null,
      });
    }
    expect((await authorizeAt({ client_id: "linked-app", redirect_uri: "https://app.test/cb" })).status).toBe(
      303,
    );
  });

  it("knows only its own clients, each with its own secret", async () => {
    expect(
      (await authorizeAt({ client_id: "fake-client-id", redirect_uri: "https://app.test/cb" })).status,
    ).toBe(400);
    const approved = await authorizeAt({ client_id: "open-app", redirect_uri: "https://any.test/cb" });
    const code = new URL(approved.headers.get("location") ?? "").searchParams.get("code") ?? "";
    const exchange = {
      grant_type: "authorization_code",
      code,
      redirect_uri: "https://any.test/cb",
      client_id: "open-app",
    };
    const wrong = await tokenAt({ ...exchange, client_secret: "linked-secret" });
    expect({ status: wrong.status, body: await wrong.json() }).toMatchObject({
      status: 401,
      body: { error: "invalid_client" },
    });
    const again = await authorizeAt({ client_id: "open-app", redirect_uri: "https://any.test/cb" });
    const code2 = new URL(again.headers.get("location") ?? "").searchParams.get("code") ?? "";
    const right = await tokenAt({ ...exchange, code: code2, client_secret: "open-secret" });
    expect(right.status).toBe(200);
    const { access_token, refresh_token } = (await right.json()) as {
      access_token: string;
      refresh_token: string;
    };
    const projects = await fetch(`${own.url}/rest/api/latest/projects`, {
      headers: { Authorization: `Bearer ${access_token}` },
    });
    const keys = ((await projects.json()) as { values: { key: string }[] }).values.map((p) => p.key);
    expect(keys.sort()).toEqual(["INT", "OSS"]);
    const missing = await fetch(`${own.url}/rest/api/latest/projects/ENG`, {
      headers: { Authorization: `Bearer ${access_token}` },
    });
    expect(missing.status).toBe(404);
    const inherited = await fetch(`${own.url}/rest/api/latest/projects/constructor`, {
      headers: { Authorization: `Bearer ${access_token}` },
    });
    expect(inherited.status).toBe(404);
    const refreshedByOther = await tokenAt({
      grant_type: "refresh_token",
      refresh_token,
      client_id: "linked-app",
      client_secret: "linked-secret",
    });
    expect(refreshedByOther.status).toBe(400);
    const refreshed = await tokenAt({
      grant_type: "refresh_token",
      refresh_token,
      client_id: "open-app",
      client_secret: "open-secret",
    });
    expect(refreshed.status).toBe(200);
  });
});

describe("scopes, as the instance grants them", () => {
  /** A login at the shared fake as ada, with `scope` asked (or none): the token answer. */
  async function tokensFor(scope: string | null) {
    const verifier = "v".repeat(43);
    const params: Record<string, string> = { ...valid, redirect_uri: "http://app.test/cb" };
    if (scope !== null) params.scope = scope;
    const approved = await authorize(params);
    const code = new URL(approved.headers.get("location") ?? "").searchParams.get("code") ?? "";
    const res = await fetch(`${dc.url}/rest/oauth2/latest/token`, {
      method: "POST",
      headers: { "content-type": "application/x-www-form-urlencoded" },
      body: new URLSearchParams({
        grant_type: "authorization_code",
        code,
        redirect_uri: "http://app.test/cb",
        client_id: "fake-client-id",
        client_secret: "fake-client-secret",
        code_verifier: verifier,
      }),
    });
    return (await res.json()) as { access_token: string; refresh_token: string; scope: string };
  }
  const get = (path: string, token: string) =>
    fetch(`${dc.url}/rest/api/latest${path}`, { headers: { Authorization: `Bearer ${token}` } });

  it("echoes the scope asked, or the link's own when none is asked", async () => {
    expect((await tokensFor("PUBLIC_REPOS")).scope).toBe("PUBLIC_REPOS");
    expect((await tokensFor("PUBLIC_REPOS REPO_WRITE")).scope).toBe("PUBLIC_REPOS REPO_WRITE");
    expect((await tokensFor(null)).scope).toBe("PUBLIC_REPOS REPO_READ");
  });

  it("with PUBLIC_REPOS alone, shows only public projects and repositories; REPO_READ or above shows the rest", async () => {
    const publicOnly = (await tokensFor("PUBLIC_REPOS")).access_token;
    expect((await get("/projects/ENG", publicOnly)).status).toBe(401);
    expect((await get("/projects/ENG/repos/api", publicOnly)).status).toBe(401);
    expect((await get("/projects/PUB", publicOnly)).status).toBe(200);
    const listed = (await (await get("/projects?limit=100", publicOnly)).json()) as {
      values: { key: string }[];
    };
    expect(listed.values.map((p) => p.key)).toEqual(["PUB"]);
    // The user headers still name ada: the token is accepted, the scope is what it lacks.
    expect((await get("/projects/ENG", publicOnly)).headers.get("x-ausername")).toBe("ada");
    for (const scope of ["REPO_READ", "PUBLIC_REPOS REPO_WRITE", "PROJECT_ADMIN"]) {
      const token = (await tokensFor(scope)).access_token;
      expect({ scope, status: (await get("/projects/ENG", token)).status }).toEqual({ scope, status: 200 });
    }
  });

  it("a refresh keeps the scope granted", async () => {
    const { refresh_token } = await tokensFor("PUBLIC_REPOS");
    const res = await fetch(`${dc.url}/rest/oauth2/latest/token`, {
      method: "POST",
      headers: { "content-type": "application/x-www-form-urlencoded" },
      body: new URLSearchParams({
        grant_type: "refresh_token",
        refresh_token,
        client_id: "fake-client-id",
        client_secret: "fake-client-secret",
      }),
    });
    const fresh = (await res.json()) as { access_token: string; scope: string };
    expect(fresh.scope).toBe("PUBLIC_REPOS");
    expect((await get("/projects/ENG", fresh.access_token)).status).toBe(401);
  });
});

describe("the token endpoint, as clients written by others call it", () => {
  async function codeFor() {
    const approved = await authorize({ ...valid, redirect_uri: "http://app.test/cb" });
    return new URL(approved.headers.get("location") ?? "").searchParams.get("code") ?? "";
  }
  const post = (init: { query?: Record<string, string>; form?: Record<string, string>; basic?: string }) =>
    fetch(`${dc.url}/rest/oauth2/latest/token${init.query ? `?${new URLSearchParams(init.query)}` : ""}`, {
      method: "POST",
      headers: {
        "content-type": "application/x-www-form-urlencoded",
        ...(init.basic ? { Authorization: `Basic ${Buffer.from(init.basic).toString("base64")}` } : {}),
      },
      body: new URLSearchParams(init.form ?? {}),
    });
  const exchange = (code: string) => ({
    grant_type: "authorization_code",
    code,
    redirect_uri: "http://app.test/cb",
  });

  it("takes the client's credentials by HTTP Basic, each half form-decoded (RFC 6749 §2.3.1)", async () => {
    const res = await post({
      form: exchange(await codeFor()),
      basic: "fake%2Dclient%2Did:fake%2Dclient%2Dsecret",
    });
    expect(res.status).toBe(200);
    const plain = await post({ form: exchange(await codeFor()), basic: "fake-client-id:fake-client-secret" });
    expect(plain.status).toBe(200);
    const wrong = await post({ form: exchange(await codeFor()), basic: "fake-client-id:nope" });
    expect({ status: wrong.status, body: await wrong.json() }).toMatchObject({
      status: 401,
      body: { error: "invalid_client" },
    });
  });

  it("refuses a client that authenticates twice, by Basic and in the body", async () => {
    const res = await post({
      form: { ...exchange(await codeFor()), client_secret: "fake-client-secret" },
      basic: "fake-client-id:fake-client-secret",
    });
    expect({ status: res.status, body: await res.json() }).toMatchObject({
      status: 400,
      body: { error: "invalid_request" },
    });
  });

  it("takes the parameters in the query string, as Atlassian's own example sends them", async () => {
    const res = await post({
      query: {
        ...exchange(await codeFor()),
        client_id: "fake-client-id",
        client_secret: "fake-client-secret",
      },
    });
    expect(res.status).toBe(200);
    expect(((await res.json()) as { access_token?: unknown }).access_token).toEqual(expect.any(String));
  });
});

describe("what other clients read of the fake Data Center", () => {
  let own: FakeDataCenter;
  afterEach(async () => {
    await own?.close();
  });
  const tokenOf = async (fake: FakeDataCenter, name: string) => {
    fake.approveAs(name);
    const approved = await fetch(
      `${fake.url}/rest/oauth2/latest/authorize?${new URLSearchParams({ ...valid, redirect_uri: "http://app.test/cb" })}`,
      { redirect: "manual" },
    );
    const code = new URL(approved.headers.get("location") ?? "").searchParams.get("code") ?? "";
    const res = await fetch(`${fake.url}/rest/oauth2/latest/token`, {
      method: "POST",
      headers: { "content-type": "application/x-www-form-urlencoded" },
      body: new URLSearchParams({
        grant_type: "authorization_code",
        code,
        redirect_uri: "http://app.test/cb",
        client_id: "fake-client-id",
        client_secret: "fake-client-secret",
      }),
    });
    return ((await res.json()) as { access_token: string }).access_token;
  };
  const whoami = (fake: FakeDataCenter, token?: string) =>
    fetch(`${fake.url}/plugins/servlet/applinks/whoami`, {
      headers: token ? { Authorization: `Bearer ${token}` } : {},
      redirect: "manual",
    });

  it("applinks/whoami answers the token's user name as text, with the user headers", async () => {
    own = await startFakeDataCenter({ redirectUris: ["http://app.test/cb"] });
    const res = await whoami(own, await tokenOf(own, "ada"));
    expect(res.status).toBe(200);
    expect(res.headers.get("content-type")).toMatch(/^text\/plain/);
    expect(await res.text()).toBe("ada");
    expect([res.headers.get("x-ausername"), res.headers.get("x-auserid")]).toEqual(["ada", "101"]);
    expect((await whoami(own)).status).toBe(401);
    expect((await whoami(own, "not-a-token")).status).toBe(401);
    expect(own.hits.whoami).toBe(3);
  });

  it("with tokensOutsideRest: login-page, sends a token's whoami to the login page, as newer instances do", async () => {
    own = await startFakeDataCenter({
      tokensOutsideRest: "login-page",
      redirectUris: ["http://app.test/cb"],
    });
    const res = await whoami(own, await tokenOf(own, "ada"));
    expect(res.status).toBe(302);
    expect(res.headers.get("location")).toBe(
      `${own.url}/login?next=%2Fplugins%2Fservlet%2Fapplinks%2Fwhoami`,
    );
  });

  it("gives user records an avatarUrl when avatarSize is asked, and none otherwise", async () => {
    own = await startFakeDataCenter({ redirectUris: ["http://app.test/cb"] });
    const token = await tokenOf(own, "ada");
    const get = async (q: string) =>
      (await (
        await fetch(`${own.url}/rest/api/latest/users/ada${q}`, {
          headers: { Authorization: `Bearer ${token}` },
        })
      ).json()) as { avatarUrl?: string };
    expect((await get("?avatarSize=48")).avatarUrl).toBe(`${own.url}/users/ada/avatar.png?s=48`);
    expect(Object.hasOwn(await get(""), "avatarUrl")).toBe(false);
    const list = (await (
      await fetch(`${own.url}/rest/api/latest/users?filter=ada&avatarSize=64`, {
        headers: { Authorization: `Bearer ${token}` },
      })
    ).json()) as { values: { avatarUrl?: string }[] };
    expect(list.values[0]?.avatarUrl).toBe(`${own.url}/users/ada/avatar.png?s=64`);
  });

  it.each<["percent" | "utf-8", string]>([
    ["percent", "zo%C3%AB"],
    ["utf-8", Buffer.from("zoë", "utf8").toString("latin1")],
  ])("sends a non-ASCII X-AUSERNAME %s-encoded when told", async (userNameEncoding, received) => {
    own = await startFakeDataCenter({ userNameEncoding, redirectUris: ["http://app.test/cb"] });
    const res = await whoami(own, await tokenOf(own, "zoë"));
    expect(res.headers.get("x-ausername")).toBe(received);
  });
});

describe("fakeDataCenterDirectory", () => {
  it("makes count look-alikes of `like`, each a distinct active account", () => {
    const users = fakeDataCenterDirectory({ count: 3, like: "ada", firstId: 500 });
    expect(users.map((u) => [u.id, u.name, u.slug, u.displayName, u.emailAddress])).toEqual([
      [500, "ada0", "ada0", "Ada Lookalike 0", "ada0@acme.com"],
      [501, "ada1", "ada1", "Ada Lookalike 1", "ada1@acme.com"],
      [502, "ada2", "ada2", "Ada Lookalike 2", "ada2@acme.com"],
    ]);
    expect(users.every((u) => u.active && u.type === "NORMAL")).toBe(true);
    expect(fakeDataCenterDirectory({ count: 5000, like: "ada" })[4999]?.id).toBe(14_999);
  });

  it("refuses a count or a name it cannot make", () => {
    expect(() => fakeDataCenterDirectory({ count: -1, like: "ada" })).toThrow(TypeError);
    expect(() => fakeDataCenterDirectory({ count: 1.5, like: "ada" })).toThrow(TypeError);
    expect(() => fakeDataCenterDirectory({ count: 1, like: "a/b" })).toThrow(TypeError);
  });
});
