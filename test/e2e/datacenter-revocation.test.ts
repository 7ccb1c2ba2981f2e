// Staying signed in on Data Center: refresh rotation, checkBitbucketAccess with serverUrl, and
// bitbucketAccessGuard ending the sessions of a removed member.
import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { afterEach, describe, expect, it } from "@jest/globals";
import {
  bitbucketAccessGuard,
  checkBitbucketAccess,
  memoryTokenStore,
  refreshBitbucketTokens,
  type BitbucketTokenStore,
} from "../../src/index.js";
import { DEFAULT_FAKE_DATACENTER_CLIENT } from "../../src/testing/index.js";
import {
  closeDataCenterHarness,
  dcGrant,
  dcLogin,
  startDataCenterHarness,
  type DataCenterHarness,
} from "../helpers/datacenter.js";

let h: DataCenterHarness | undefined;
afterEach(async () => {
  await closeDataCenterHarness(h);
  h = undefined;
});

const allow = { projects: ["ENG"] };

async function signedIn(options: { guard?: boolean } = {}) {
  const tokens: BitbucketTokenStore = memoryTokenStore();
  h = await startDataCenterHarness({
    router: { allow, tokens },
    afterRouter: (app, auth, dc) => {
      if (options.guard)
        app.use(
          bitbucketAccessGuard(auth, {
            serverUrl: dc.url,
            ...DEFAULT_FAKE_DATACENTER_CLIENT,
            allow,
            tokens,
            interval: 0,
          }),
        );
    },
  });
  const agent = h.agent();
  expect((await dcLogin(agent)).status).toBe(302);
  const userId = (await agent.get("/me")).body.userId as string;
  const stored = await tokens.get(userId, dcGrant(h!.dc.url));
  if (!stored) throw new Error("the router stored no tokens");
  return { agent, userId, tokens, stored };
}

const whoAmI = (url: string, token: string) =>
  fetch(`${url}/rest/api/latest/application-properties`, { headers: { Authorization: `Bearer ${token}` } });

describe("refreshBitbucketTokens on Data Center", () => {
  it("rotates both tokens; the old refresh and access tokens are dead afterwards", async () => {
    const { stored } = await signedIn();
    const dc = h!.dc;
    const fresh = await refreshBitbucketTokens({
      serverUrl: dc.url,
      ...DEFAULT_FAKE_DATACENTER_CLIENT,
      refreshToken: stored.refreshToken,
      allow,
    });
    expect(fresh.refreshToken).not.toBe(stored.refreshToken);
    expect(fresh.accessToken).not.toBe(stored.accessToken);
    expect(fresh.accessTokenExpiresIn).toBe(3600);
    expect(fresh.access).toMatchObject({ allowed: true, project: "ENG" });
    expect((await whoAmI(dc.url, fresh.accessToken)).headers.get("x-auserid")).toBe("101");
    expect((await whoAmI(dc.url, stored.accessToken)).headers.get("x-auserid")).toBeNull();
    await expect(
      refreshBitbucketTokens({
        serverUrl: dc.url,
        ...DEFAULT_FAKE_DATACENTER_CLIENT,
        refreshToken: stored.refreshToken,
      }),
    ).rejects.toMatchObject({ code: "REFRESH_TOKEN_INVALID" });
  });

  it("refuses a wrong client secret with CLIENT_CREDENTIALS_REJECTED", async () => {
    const { stored } = await signedIn();
    await expect(
      refreshBitbucketTokens({
        serverUrl: h!.dc.url,
        clientId: "fake-client-id",
        clientSecret: "wrong",
        refreshToken: stored.refreshToken,
      }),
    ).rejects.toMatchObject({ code: "CLIENT_CREDENTIALS_REJECTED" });
  });
});

describe("what a Data Center refresh sends", () => {
  // A loopback token endpoint that keeps each form it receives: the fake Data Center, like
  // Bitbucket's own OAuth plugin, ignores redirect_uri on refresh, but other Atlassian servers check it.
  async function refreshAt(redirectUri: string | undefined) {
    const forms: URLSearchParams[] = [];
    const headers: Record<string, string | undefined>[] = [];
    const server = createServer((req, res) => {
      headers.push({
        type: req.headers["content-type"],
        accept: req.headers.accept,
        authorization: req.headers.authorization,
      });
      let body = "";
      req.on("data", (chunk: Buffer) => (body += chunk.toString()));
      req.on("end", () => {
        forms.push(new URLSearchParams(body));
        res
          .writeHead(200, { "Content-Type": "application/json" })
          .end(JSON.stringify({ access_token: "a2", refresh_token: "r2", expires_in: 60 }));
      });
    });
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    try {
      const fresh = await refreshBitbucketTokens({
        serverUrl: `http://127.0.0.1:${(server.address() as AddressInfo).port}/bitbucket`,
        clientId: "id",
        clientSecret: "secret",
        refreshToken: "r1",
        ...(redirectUri === undefined ? {} : { redirectUri }),
      });
      return { fresh, forms: forms.map((f) => Object.fromEntries(f)), headers };
    } finally {
      await new Promise((resolve) => server.close(resolve));
    }
  }

  it("sends the router's redirect URI along when it is given", async () => {
    const r = await refreshAt("https://app.test/login/bitbucket/callback");
    expect(r.forms).toEqual([
      {
        grant_type: "refresh_token",
        refresh_token: "r1",
        redirect_uri: "https://app.test/login/bitbucket/callback",
        client_id: "id",
        client_secret: "secret",
      },
    ]);
    expect(r.fresh).toMatchObject({ accessToken: "a2", refreshToken: "r2", accessTokenExpiresIn: 60 });
  });

  it("posts a form, asks for JSON and sends no Authorization header (the credentials are in the form)", async () => {
    const r = await refreshAt(undefined);
    expect(r.headers).toEqual([
      { type: "application/x-www-form-urlencoded", accept: "application/json", authorization: undefined },
    ]);
  });

  it("sends no redirect_uri without one", async () => {
    const r = await refreshAt(undefined);
    expect(r.forms).toEqual([
      { grant_type: "refresh_token", refresh_token: "r1", client_id: "id", client_secret: "secret" },
    ]);
  });
});

describe("checkBitbucketAccess on Data Center", () => {
  it("says yes, then no once the member is removed, and throws on an outage", async () => {
    const { stored } = await signedIn();
    const dc = h!.dc;
    const check = () => checkBitbucketAccess({ serverUrl: dc.url, accessToken: stored.accessToken, allow });
    expect(await check()).toMatchObject({ allowed: true, project: "ENG", permission: "read" });
    dc.setPermission("ada", "ENG", null);
    expect(await check()).toMatchObject({ allowed: false, project: null });
    dc.setFault({ endpoint: "projects", kind: "status", status: 500 });
    await expect(check()).rejects.toMatchObject({ code: "BITBUCKET_UNAVAILABLE" });
  });

  it("refuses Cloud rules with serverUrl, naming the edition", async () => {
    await expect(
      checkBitbucketAccess({
        serverUrl: "https://git.acme.test",
        accessToken: "t",
        allow: { workspaces: ["a"] },
      } as never),
    ).rejects.toThrow('checkBitbucketAccess: option "allow.workspaces" is for Bitbucket Cloud');
  });
});

describe("bitbucketAccessGuard on Data Center", () => {
  it("keeps a member, then signs out a removed one with ACCESS_REVOKED", async () => {
    const { agent, userId, tokens } = await signedIn({ guard: true });
    expect((await agent.get("/me")).status).toBe(200);
    h!.dc.setPermission("ada", "ENG", null);
    const res = await agent.get("/me");
    expect({ status: res.status, error: res.body.error }).toEqual({ status: 401, error: "ACCESS_REVOKED" });
    expect(await h!.db.counts()).toMatchObject({ sessions: 0 });
    expect(await tokens.get(userId, dcGrant(h!.dc.url))).toBeNull();
  });

  it("refreshes expired tokens (rotating them in the store) and keeps the member", async () => {
    const { agent, userId, tokens, stored } = await signedIn({ guard: true });
    // The stored tokens look expired, and the instance agrees.
    await tokens.save(userId, dcGrant(h!.dc.url), { ...stored, accessTokenExpiresAt: 0, checkedAt: 0 });
    h!.dc.expireAccessTokens();
    expect((await agent.get("/me")).status).toBe(200);
    const now = await tokens.get(userId, dcGrant(h!.dc.url));
    expect(now?.refreshToken).not.toBe(stored.refreshToken);
    expect(now?.accessToken).not.toBe(stored.accessToken);
  });
});
