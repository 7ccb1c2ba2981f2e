// Signing in with Bitbucket Data Center: the router with `serverUrl`, against the shipped fake Data
// Center under `/bitbucket`, with Lucia on real SQLite.
import { createHash } from "node:crypto";
import { afterEach, describe, expect, it } from "@jest/globals";
import signature from "cookie-signature";
import request from "supertest";
import { resolveOptions } from "../../src/config/resolve-options.js";
import { encodePending, stateCookieName } from "../../src/state/state-value.js";
import { DEFAULT_FAKE_DATACENTER_CLIENT } from "../../src/testing/index.js";
import { COOKIE_SECRET, STATE_COOKIE } from "../helpers/harness.js";
import {
  approveAtDataCenter,
  dcLogin,
  startDataCenterHarness,
  type DataCenterHarness,
  closeDataCenterHarness,
} from "../helpers/datacenter.js";

let h: DataCenterHarness | undefined;
afterEach(async () => {
  await closeDataCenterHarness(h);
  h = undefined;
});

const keyOf = async (harness: DataCenterHarness, id: number, provider = "bitbucket-datacenter") =>
  harness.auth.getKey(provider, String(id)).then(
    (k) => k.userId,
    () => null,
  );

describe("a Data Center login", () => {
  it("creates a new user keyed on the numeric id, with a fresh session, and lands on /", async () => {
    h = await startDataCenterHarness();
    const agent = h.agent();
    const res = await dcLogin(agent);
    expect(res.status).toBe(302);
    expect(res.headers.location).toBe("/");
    const me = await agent.get("/me");
    expect(me.body).toMatchObject({ displayName: "Ada Lovelace" });
    expect(await keyOf(h, 101)).toBe(me.body.userId);
    expect(await h.db.counts()).toEqual({ users: 1, keys: 1, sessions: 1 });
  });

  it("signs a returning user in as the same user after a rename (same id, new name and slug)", async () => {
    h = await startDataCenterHarness();
    await dcLogin(h.agent());
    const first = await keyOf(h, 101);
    h.dc.renameUser(101, { name: "ada.l", slug: "ada.l", emailAddress: "ada.l@dc.test" });
    h.dc.approveAs("ada.l");
    const agent = h.agent();
    expect((await dcLogin(agent)).status).toBe(302);
    expect((await agent.get("/me")).body.userId).toBe(first);
    expect(await h.db.counts()).toEqual({ users: 1, keys: 1, sessions: 2 });
  });

  it.each([
    ["whose slug is not the name", "jane@acme.com", 102, "Jane Doe"],
    ["with a non-ASCII name", "zoë", 103, "Zoë Ångström"],
  ])("finds the record of a user %s", async (_what, name, id, displayName) => {
    h = await startDataCenterHarness();
    h.dc.approveAs(name);
    const agent = h.agent();
    expect((await dcLogin(agent)).status).toBe(302);
    expect((await agent.get("/me")).body.displayName).toBe(displayName);
    expect(await keyOf(h, id)).not.toBeNull();
  });

  it.each(["percent", "utf-8"] as const)(
    "signs in a non-ASCII user whose X-AUSERNAME comes %s-encoded",
    async (userNameEncoding) => {
      h = await startDataCenterHarness({ fake: { userNameEncoding } });
      h.dc.approveAs("zoë");
      const agent = h.agent();
      expect((await dcLogin(agent)).status).toBe(302);
      expect((await agent.get("/me")).body.displayName).toBe("Zoë Ångström");
      expect(await keyOf(h, 103)).not.toBeNull();
      // The lookup went by the decoded name: /users/zo%C3%AB or a filter of it, never the mangled one.
      expect(h.dc.requests.some((r) => r.url.includes("%C3%83"))).toBe(false);
    },
  );

  it("gives the hooks the Data Center user and its email, null when empty", async () => {
    const seen: unknown[] = [];
    h = await startDataCenterHarness({
      router: { onSuccess: ({ bitbucketUser, email }) => void seen.push([bitbucketUser.slug, email]) },
    });
    await dcLogin(h.agent());
    h.dc.approveAs("zoë");
    await dcLogin(h.agent());
    expect(seen).toEqual([
      ["ada", "ada@dc.test"],
      ["zoe", null],
    ]);
  });

  it.each([
    ["an inactive account", "former", "the account is inactive"],
    ["a SERVICE account", "ci-bot", "service accounts may not sign in"],
  ])("refuses %s with ACCESS_NOT_ALLOWED and writes nothing", async (_what, name, why) => {
    h = await startDataCenterHarness();
    h.dc.approveAs(name);
    const res = await dcLogin(h.agent());
    expect({ status: res.status, error: res.body.error }).toEqual({
      status: 403,
      error: "ACCESS_NOT_ALLOWED",
    });
    expect(await h.db.counts()).toEqual({ users: 0, keys: 0, sessions: 0 });
    // The account's own refusal, not a rule of `allow`: its cause says so without "allow rules:".
    expect(((h.errors.at(-1) as Error).cause as Error).message).toBe(why);
  });

  it("answers Deny with ACCESS_DENIED", async () => {
    h = await startDataCenterHarness();
    h.dc.deny();
    const res = await dcLogin(h.agent());
    expect(res.body.error).toBe("ACCESS_DENIED");
  });
});

describe("PKCE and the code", () => {
  it("sends an S256 challenge of a verifier that travels only in the signed state cookie", async () => {
    h = await startDataCenterHarness();
    const start = await h.agent().get("/login/bitbucket");
    const url = new URL(start.headers.location as string);
    expect(url.origin + url.pathname).toBe(`${h.dc.url}/rest/oauth2/latest/authorize`);
    expect(url.searchParams.get("code_challenge_method")).toBe("S256");
    expect(url.searchParams.get("code_challenge")).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(url.searchParams.get("scope")).toBe("PUBLIC_REPOS");
    expect(url.searchParams.has("code_verifier")).toBe(false);
    const cookie = (start.headers["set-cookie"] as unknown as string[])[0] ?? "";
    expect(cookie).toMatch(/HttpOnly/);
    expect(cookie).toMatch(/SameSite=Lax/);
  });

  it("fails the exchange when the verifier in a validly signed cookie is another one", async () => {
    h = await startDataCenterHarness();
    const agent = h.agent();
    const start = await agent.get("/login/bitbucket");
    const callback = await approveAtDataCenter(start.headers.location as string);
    const state = new URL(callback, "http://app.test").searchParams.get("state") ?? "";
    const issuer = resolveOptions({
      serverUrl: h.dc.url,
      ...DEFAULT_FAKE_DATACENTER_CLIENT,
      redirectUri: "http://app.test/login/bitbucket/callback",
    }).stateIssuer;
    const forged = encodePending({
      state,
      issuedAt: Date.now(),
      returnTo: null,
      link: null,
      issuer,
      codeVerifier: "x".repeat(96),
    });
    const res = await request(h.app)
      .get(callback)
      .set(
        "Cookie",
        `${stateCookieName(STATE_COOKIE, issuer, state)}=s:${signature.sign(forged, COOKIE_SECRET)}`,
      );
    expect({ status: res.status, error: res.body.error }).toEqual({
      status: 400,
      error: "TOKEN_EXCHANGE_FAILED",
    });
    expect(await h.db.counts()).toEqual({ users: 0, keys: 0, sessions: 0 });
  });

  it("uses the authorize request's redirect_uri exactly at the token endpoint", async () => {
    h = await startDataCenterHarness();
    const start = await h.agent().get("/login/bitbucket");
    const authorize = new URL(start.headers.location as string);
    const code =
      new URL(await approveAtDataCenter(authorize.href), "http://app.test").searchParams.get("code") ?? "";
    const verifierless = await fetch(`${h.dc.url}/rest/oauth2/latest/token`, {
      method: "POST",
      body: new URLSearchParams({
        grant_type: "authorization_code",
        code,
        redirect_uri: `${authorize.searchParams.get("redirect_uri")}/`,
        ...{ client_id: "fake-client-id", client_secret: "fake-client-secret" },
      }),
    });
    // A trailing slash is another URI: the fake, like Data Center, refuses it.
    expect(verifierless.status).toBe(400);
    expect(((await verifierless.json()) as { error: string }).error).toBe("invalid_grant");
  });
});

describe("the fake Data Center's token endpoint", () => {
  const exchange = (dc: DataCenterHarness["dc"], form: Record<string, string>) =>
    fetch(`${dc.url}/rest/oauth2/latest/token`, { method: "POST", body: new URLSearchParams(form) });
  const authorizeDirect = async (dc: DataCenterHarness["dc"], verifier: string) => {
    const challenge = createHash("sha256").update(verifier).digest("base64url");
    const q = new URLSearchParams({
      client_id: "fake-client-id",
      redirect_uri: "http://app.test/login/bitbucket/callback", // the harness registers it
      response_type: "code",
      state: "s",
      code_challenge: challenge,
      code_challenge_method: "S256",
    });
    const res = await fetch(`${dc.url}/rest/oauth2/latest/authorize?${q}`, { redirect: "manual" });
    expect(res.status).toBe(303);
    expect(res.headers.get("cache-control")).toBe("no-store");
    return new URL(res.headers.get("location") ?? "").searchParams.get("code") ?? "";
  };
  const form = (code: string, verifier: string) => ({
    grant_type: "authorization_code",
    code,
    redirect_uri: "http://app.test/login/bitbucket/callback", // the harness registers it
    client_id: "fake-client-id",
    client_secret: "fake-client-secret",
    code_verifier: verifier,
  });

  it("takes a code once; a replay is refused and revokes the tokens of the first exchange", async () => {
    h = await startDataCenterHarness();
    const verifier = "v".repeat(50);
    const code = await authorizeDirect(h.dc, verifier);
    const first = await exchange(h.dc, form(code, verifier));
    expect(first.status).toBe(200);
    const { access_token: token } = (await first.json()) as { access_token: string };
    const whoAmI = () =>
      fetch(`${h?.dc.url}/rest/api/latest/application-properties`, {
        headers: { Authorization: `Bearer ${token}` },
      });
    expect((await whoAmI()).headers.get("x-auserid")).toBe("101");
    const replay = await exchange(h.dc, form(code, verifier));
    expect(replay.status).toBe(400);
    expect(((await replay.json()) as { error: string }).error).toBe("invalid_grant");
    // Revoked: the answer is anonymous now, 200 without the headers.
    const after = await whoAmI();
    expect(after.status).toBe(200);
    expect(after.headers.get("x-ausername")).toBeNull();
  });

  it("with acceptBasic: false, reads client credentials from the form body only, and checks the verifier", async () => {
    h = await startDataCenterHarness({ fake: { acceptBasic: false } });
    const verifier = "w".repeat(50);
    const code = await authorizeDirect(h.dc, verifier);
    const { client_secret: _secret, ...withoutSecret } = form(code, verifier);
    const basic = await fetch(`${h.dc.url}/rest/oauth2/latest/token`, {
      method: "POST",
      headers: {
        Authorization: `Basic ${Buffer.from("fake-client-id:fake-client-secret").toString("base64")}`,
      },
      body: new URLSearchParams(withoutSecret),
    });
    expect(basic.status).toBe(401);
    const code2 = await authorizeDirect(h.dc, verifier);
    const wrongVerifier = await exchange(h.dc, form(code2, "u".repeat(50)));
    expect(((await wrongVerifier.json()) as { error: string }).error).toBe("invalid_grant");
  });
});
