import { afterAll, beforeAll, describe, expect, it } from "@jest/globals";
import { startFakeBitbucket, DEFAULT_FAKE_WORKSPACE, type FakeBitbucket } from "../../src/testing/index.js";

// The shipped fake as other people's suites use it: raw HTTP, no router in between.
let fake: FakeBitbucket;
let token: string;
const MANY = Object.fromEntries(Array.from({ length: 23 }, (_, i) => [`team-${i}`, "member" as const]));

beforeAll(async () => {
  fake = await startFakeBitbucket({
    callbackUrl: "http://app.test/cb",
    users: [
      {
        uuid: "{11111111-2222-4333-8444-555555555555}",
        nickname: "max",
        workspaces: { ...MANY, "fake-team": "owner" },
        repositories: ["fake-team/handbook"],
      },
    ],
  });
  token = ((await approvedTokens()) as { access_token: string }).access_token;
});
afterAll(() => fake.close());

/** The default user approves at the fake, and the code is exchanged: the token answer's JSON. */
async function approvedTokens(): Promise<unknown> {
  const authorize = await fetch(
    `${fake.url}/site/oauth2/authorize?client_id=fake-client-id&response_type=code&redirect_uri=http://app.test/cb`,
    { redirect: "manual" },
  );
  const code = new URL(authorize.headers.get("location") ?? "").searchParams.get("code") ?? "";
  const exchanged = await fetch(`${fake.url}/site/oauth2/access_token`, {
    method: "POST",
    headers: {
      Authorization: `Basic ${Buffer.from("fake-client-id:fake-client-secret").toString("base64")}`,
      "Content-Type": "application/x-www-form-urlencoded",
    },
    body: new URLSearchParams({ grant_type: "authorization_code", code, redirect_uri: "http://app.test/cb" }),
  });
  return exchanged.json();
}

const get = async (path: string, bearer: string | null = token) => {
  const res = await fetch(`${fake.url}${path}`, {
    headers: bearer ? { Authorization: `Bearer ${bearer}` } : {},
  });
  return { status: res.status, body: (await res.json()) as Record<string, unknown> };
};

describe("the fake Bitbucket's 2026 API", () => {
  it.each([
    "/2.0/workspaces",
    "/2.0/user/permissions/workspaces",
    "/2.0/user/permissions/repositories",
    "/2.0/repositories",
  ])("answers 410 Gone on the retired %s, naming the change", async (path) => {
    const before = fake.hits.retired;
    const res = await get(path);
    expect(res.status).toBe(410);
    expect(JSON.stringify(res.body)).toContain("CHANGE-2770");
    expect(fake.hits.retired).toBe(before + 1);
  });

  it("answers 404 on /2.0/teams", async () => {
    expect((await get("/2.0/teams?role=member")).status).toBe(404);
  });

  it("refuses a token in ?access_token= with 401, even a valid one", async () => {
    const res = await get(`/2.0/user?access_token=${token}`, null);
    expect(res.status).toBe(401);
    expect(res.body).toMatchObject({
      type: "error",
      error: { message: expect.stringContaining("Authorization header") },
    });
    expect((await get(`/2.0/user/workspaces/fake-team/permission?access_token=${token}`)).status).toBe(401);
  });

  it("pages /2.0/user/workspaces with absolute next URLs, to the end", async () => {
    const slugs: string[] = [];
    let next: string | undefined = "/2.0/user/workspaces?pagelen=10";
    let pages = 0;
    while (next) {
      const res = await get(next.replace("https://api.bitbucket.org", ""));
      expect(res.status).toBe(200);
      for (const v of res.body.values as { workspace: { slug: string }; administrator: boolean }[])
        slugs.push(v.workspace.slug);
      next = res.body.next as string | undefined;
      if (next)
        expect(next).toMatch(/^https:\/\/api\.bitbucket\.org\/2\.0\/user\/workspaces\?page=\d+&pagelen=10$/);
      pages++;
    }
    expect(pages).toBe(3);
    expect(slugs).toHaveLength(24);
    expect(slugs).toContain("fake-team");
  });

  it("answers the permission endpoint by slug and by {uuid}, and 404 for a non-member", async () => {
    const bySlug = await get("/2.0/user/workspaces/fake-team/permission");
    expect(bySlug).toEqual({
      status: 200,
      body: expect.objectContaining({
        type: "workspace_membership",
        permission: "owner",
        workspace: expect.objectContaining({
          slug: "fake-team",
          uuid: DEFAULT_FAKE_WORKSPACE.uuid,
          name: "Fake Team",
        }),
      }),
    });
    const byUuid = await get(
      `/2.0/user/workspaces/${encodeURIComponent(DEFAULT_FAKE_WORKSPACE.uuid)}/permission`,
    );
    expect(byUuid.body.permission).toBe("owner");
    expect((await get("/2.0/user/workspaces/other-team/permission")).status).toBe(404);
  });

  it("answers a repository the account can read with 200, and others with 404", async () => {
    expect(await get("/2.0/repositories/fake-team/handbook")).toMatchObject({
      status: 200,
      body: { full_name: "fake-team/handbook" },
    });
    expect((await get("/2.0/repositories/fake-team/secret")).status).toBe(404);
  });

  it("is driven over HTTP too: membership changes, and who approves next", async () => {
    const put = await fetch(`${fake.url}/_fake/users/max/workspaces/fake-team`, {
      method: "PUT",
      body: "member",
    });
    expect(put.status).toBe(200);
    expect((await get("/2.0/user/workspaces/fake-team/permission")).body.permission).toBe("member");
    await fetch(`${fake.url}/_fake/users/max/workspaces/fake-team`, { method: "DELETE" });
    expect((await get("/2.0/user/workspaces/fake-team/permission")).status).toBe(404);
    expect((await fetch(`${fake.url}/_fake/user`, { method: "POST", body: "nobody" })).status).toBe(404);
    expect(
      (await fetch(`${fake.url}/_fake/users/max/workspaces/x`, { method: "PUT", body: "admin" })).status,
    ).toBe(400);
  });
});

describe("the fake Bitbucket's methods and token answer", () => {
  it.each([
    ["POST", "/site/oauth2/authorize?client_id=fake-client-id&response_type=code", "GET"],
    ["GET", "/site/oauth2/access_token", "POST"],
    ["DELETE", "/2.0/user", "GET"],
    ["POST", "/2.0/repositories/fake-team/handbook", "GET"],
  ])("answers %s %s with 405, Allow: %s and the method it takes", async (method, path, allowed) => {
    const before = { ...fake.hits };
    const res = await fetch(`${fake.url}${path}`, { method, headers: { Authorization: `Bearer ${token}` } });
    expect(res.status).toBe(405);
    expect(res.headers.get("allow")).toBe(allowed);
    expect(((await res.json()) as { error: { message: string } }).error.message).toBe(
      `Method ${method} is not allowed here; this endpoint takes ${allowed}.`,
    );
    expect(fake.hits).toEqual(before);
  });

  it("still takes the consent page's own POST to authorize", async () => {
    const res = await fetch(`${fake.url}/site/oauth2/authorize`, {
      method: "POST",
      redirect: "manual",
      headers: { "Content-Type": "application/x-www-form-urlencoded" },
      body: new URLSearchParams({
        client_id: "fake-client-id",
        response_type: "code",
        redirect_uri: "http://app.test/cb",
        state: "s",
        decision: "approve",
      }),
    });
    expect(res.status).toBe(302);
    expect(new URL(res.headers.get("location") ?? "").searchParams.get("code")).toEqual(expect.any(String));
  });

  it("names the granted scopes in `scope`, as Bitbucket does in 2026", async () => {
    const body = (await approvedTokens()) as Record<string, unknown>;
    expect(body.scope).toBe("account email repository");
    expect(Object.hasOwn(body, "scopes")).toBe(false);
  });
});

describe("the fake Bitbucket as clients written by others meet it", () => {
  let plain: FakeBitbucket;
  beforeAll(async () => {
    plain = await startFakeBitbucket({
      clients: [{ clientId: "my-app", clientSecret: "s3cr-t+x", callbackUrl: "http://app.test/cb" }],
    });
  });
  afterAll(() => plain.close());

  const tokenWith = (
    authorization: string | undefined,
    form: Record<string, string> = { grant_type: "refresh_token", refresh_token: "nope" },
  ) =>
    fetch(`${plain.url}/site/oauth2/access_token`, {
      method: "POST",
      headers: {
        ...(authorization ? { Authorization: authorization } : {}),
        "Content-Type": "application/x-www-form-urlencoded",
      },
      body: new URLSearchParams(form),
    });
  const basic = (id: string, secret: string) => `Basic ${Buffer.from(`${id}:${secret}`).toString("base64")}`;

  it("form-decodes both halves of Basic credentials (RFC 6749 §2.3.1), and takes them plain", async () => {
    // Authenticated, each way: the answer is about the refresh token (400), not the client (401).
    for (const [id, secret] of [
      ["my%2Dapp", "s3cr%2Dt%2Bx"], // as oauth4webapi and openid-client send them
      ["my-app", "s3cr-t%2Bx"], // `-` needs no encoding
    ] as const) {
      const res = await tokenWith(basic(id, secret));
      expect({ id, secret, status: res.status, body: await res.json() }).toMatchObject({
        status: 400,
        body: { error: "invalid_request" },
      });
    }
    // `+` form-decodes to a space: a secret sent with a raw `+` is not this client's.
    expect((await tokenWith(basic("my-app", "s3cr-t+x"))).status).toBe(401);
  });

  it("refuses credentials that do not decode, or in the form body only, with 401 and Bitbucket's challenge", async () => {
    for (const res of [
      await tokenWith(basic("my-app", "%E0%A4%A")),
      await tokenWith(undefined, {
        grant_type: "refresh_token",
        refresh_token: "nope",
        client_id: "my-app",
        client_secret: "s3cr-t+x",
      }),
    ]) {
      expect(res.status).toBe(401);
      expect(res.headers.get("www-authenticate")).toBe('Basic realm="Bitbucket.org HTTP"');
      expect(await res.json()).toMatchObject({ error: "unauthorized_client" });
    }
  });

  it("sends Bitbucket's challenge with an API 401 too", async () => {
    const res = await fetch(`${plain.url}/2.0/user`, { headers: { Authorization: "Bearer not-a-token" } });
    expect(res.status).toBe(401);
    expect(res.headers.get("www-authenticate")).toBe('Basic realm="Bitbucket.org HTTP"');
  });

  it("knows the outsider eve by default, as the CLI does", async () => {
    const fresh = await startFakeBitbucket({ callbackUrl: "http://app.test/cb" });
    try {
      fresh.approveAs("eve");
      const res = await fetch(
        `${fresh.url}/site/oauth2/authorize?client_id=fake-client-id&response_type=code&redirect_uri=http://app.test/cb`,
        { redirect: "manual" },
      );
      expect(new URL(res.headers.get("location") ?? "").searchParams.get("code")).toBeTruthy();
    } finally {
      await fresh.close();
    }
  });
});
