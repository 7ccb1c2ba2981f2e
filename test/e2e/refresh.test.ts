import { afterEach, beforeEach, describe, expect, it } from "@jest/globals";
import { BitbucketAuthError, refreshBitbucketTokens, type BitbucketTokens } from "../../src/index.js";
import { login, startHarness, type Harness } from "../helpers/harness.js";

let h: Harness;
let tokens: BitbucketTokens;
const client = { clientId: "fake-client-id", clientSecret: "fake-client-secret" };

async function startWithTokens(fake: Parameters<typeof startHarness>[0] = {}) {
  h = await startHarness({ ...fake, router: { onSuccess: (ctx) => void (tokens = ctx.bitbucketTokens) } });
  await login(h.agent());
}
const codeOf = (promise: Promise<unknown>) =>
  promise.then(
    () => "resolved",
    (err: unknown) => (err instanceof BitbucketAuthError ? err.code : String(err)),
  );

afterEach(() => h?.close());

describe("refreshBitbucketTokens", () => {
  beforeEach(() => startWithTokens());

  it("returns new tokens, and the new refresh token works while the old one is spent", async () => {
    const fresh = await refreshBitbucketTokens({ ...client, refreshToken: tokens.refreshToken });
    expect(fresh).toEqual({
      accessToken: expect.any(String),
      refreshToken: expect.any(String),
      accessTokenExpiresIn: 7200,
      scopes: ["account", "email", "repository"],
      access: null,
      accessCheckError: null,
    });
    expect(fresh.refreshToken).not.toBe(tokens.refreshToken);
    expect(await codeOf(refreshBitbucketTokens({ ...client, refreshToken: tokens.refreshToken }))).toBe(
      "REFRESH_TOKEN_INVALID",
    );
    expect(await codeOf(refreshBitbucketTokens({ ...client, refreshToken: fresh.refreshToken }))).toBe(
      "resolved",
    );
  });

  it("tells a wrong client secret apart from a bad refresh token", async () => {
    expect(
      await codeOf(
        refreshBitbucketTokens({ ...client, clientSecret: "nope", refreshToken: tokens.refreshToken }),
      ),
    ).toBe("CLIENT_CREDENTIALS_REJECTED");
  });

  it.each([
    [{ endpoint: "token", kind: "status", status: 503 } as const, "BITBUCKET_UNAVAILABLE"],
    [{ endpoint: "token", kind: "non-json" } as const, "BITBUCKET_UNAVAILABLE"],
    [{ endpoint: "token", kind: "slow", delayMs: 30_000 } as const, "BITBUCKET_TIMEOUT"],
  ])("maps %j to %s", async (fault, code) => {
    h.fake.setFault(fault);
    expect(
      await codeOf(refreshBitbucketTokens({ ...client, refreshToken: tokens.refreshToken, timeout: 1000 })),
    ).toBe(code);
  });

  it("takes a token answer without any scope field as no scopes", async () => {
    h.fake.setFault({ endpoint: "token", kind: "body", body: { access_token: "a", refresh_token: "r" } });
    const fresh = await refreshBitbucketTokens({ ...client, refreshToken: tokens.refreshToken });
    expect(fresh).toMatchObject({
      accessToken: "a",
      refreshToken: "r",
      accessTokenExpiresIn: 7200,
      scopes: [],
    });
  });

  it("refuses a 200 token answer without the tokens as BITBUCKET_UNAVAILABLE, saying so", async () => {
    h.fake.setFault({ endpoint: "token", kind: "body", body: { access_token: "a" } });
    await expect(
      refreshBitbucketTokens({ ...client, refreshToken: tokens.refreshToken }),
    ).rejects.toMatchObject({
      code: "BITBUCKET_UNAVAILABLE",
      message: "Bitbucket's token answer lacks the tokens.",
    });
  });

  it("names a missing argument with a TypeError", async () => {
    await expect(refreshBitbucketTokens({ ...client, refreshToken: "" })).rejects.toThrow(
      /"refreshToken" is required/,
    );
  });

  it.each([
    [{ clientId: 7 }, 'refreshBitbucketTokens: "clientId" is required.'],
    [{ clientSecret: undefined }, 'refreshBitbucketTokens: "clientSecret" is required.'],
    [
      { timeout: 999 },
      'refreshBitbucketTokens: "timeout" must be a whole number of milliseconds, at least 1000.',
    ],
    [
      { timeout: 1500.5 },
      'refreshBitbucketTokens: "timeout" must be a whole number of milliseconds, at least 1000.',
    ],
  ])("refuses %j with a TypeError that names it, sending nothing", async (bad, message) => {
    const before = h.fake.hits.token;
    await expect(
      refreshBitbucketTokens({ ...client, refreshToken: tokens.refreshToken, ...bad } as never),
    ).rejects.toThrow(new TypeError(message));
    expect(h.fake.hits.token).toBe(before);
  });

  it("takes a timeout of exactly 1000 ms", async () => {
    const fresh = await refreshBitbucketTokens({
      ...client,
      refreshToken: tokens.refreshToken,
      timeout: 1000,
    });
    expect(fresh.refreshToken).toEqual(expect.any(String));
  });
});

describe("refreshBitbucketTokens with Bitbucket's older `scopes` field", () => {
  it("reads `scopes` as well as `scope` (the fake's default, as Bitbucket answers in 2026)", async () => {
    await startWithTokens({ fake: { scopeField: "scopes" } });
    const fresh = await refreshBitbucketTokens({ ...client, refreshToken: tokens.refreshToken });
    expect(fresh.scopes).toEqual(["account", "email", "repository"]);
  });
});
