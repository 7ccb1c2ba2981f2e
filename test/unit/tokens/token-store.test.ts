// src/tokens/token-store.ts: the stored shape, with `checkedRules` only when there are rules.
import { describe, expect, it } from "@jest/globals";
import {
  isTokenStore,
  storedTokensOf,
  toStoredTokens,
  withRefreshedTokens,
} from "../../../src/tokens/token-store.js";

const answer = { accessToken: "a", refreshToken: "r", accessTokenExpiresIn: 7200 };

describe("the stored shape of a token answer", () => {
  it("carries no checkedRules key without rules, and the fingerprint with them", () => {
    expect(toStoredTokens(answer, 1000, 0, undefined)).toStrictEqual({
      accessToken: "a",
      refreshToken: "r",
      accessTokenExpiresAt: 1000 + 7_200_000,
      checkedAt: 0,
    });
    expect(toStoredTokens(answer, 1000, 1000, "fp")).toStrictEqual({
      accessToken: "a",
      refreshToken: "r",
      accessTokenExpiresAt: 1000 + 7_200_000,
      checkedAt: 1000,
      checkedRules: "fp",
    });
  });

  it("reads a row back the same way", () => {
    const row = { accessToken: "a", refreshToken: "r", accessTokenExpiresAt: 5, checkedAt: 1 };
    expect(storedTokensOf(row)).toStrictEqual(row);
    expect(storedTokensOf({ ...row, checkedRules: "fp" })).toStrictEqual({ ...row, checkedRules: "fp" });
    expect(storedTokensOf({ ...row, checkedRules: 3 })).toBeNull();
  });
});

describe("withRefreshedTokens", () => {
  it("takes the new tokens and expiry, and keeps the last check", () => {
    const stored = {
      accessToken: "old-a",
      refreshToken: "old-r",
      accessTokenExpiresAt: 1,
      checkedAt: 500,
      checkedRules: "fp",
    };
    const fresh = { accessToken: "new-a", refreshToken: "new-r", accessTokenExpiresIn: 3600 };
    expect(withRefreshedTokens(stored, fresh, 10_000)).toStrictEqual({
      accessToken: "new-a",
      refreshToken: "new-r",
      accessTokenExpiresAt: 10_000 + 3_600_000,
      checkedAt: 500,
      checkedRules: "fp",
    });
    const before = Date.now();
    const { checkedRules: _unused, ...unchecked } = stored;
    const result = withRefreshedTokens({ ...unchecked, checkedAt: 0 }, fresh);
    expect(result.accessTokenExpiresAt).toBeGreaterThanOrEqual(before + 3_600_000);
    expect(Object.hasOwn(result, "checkedRules")).toBe(false);
  });
});

describe("isTokenStore", () => {
  const fn = async () => undefined;
  it("takes an object with get, save and remove, and nothing less", () => {
    expect(isTokenStore({ get: fn, save: fn, remove: fn })).toBe(true);
    expect(isTokenStore({ get: fn, save: fn })).toBe(false);
    expect(isTokenStore({ get: fn })).toBe(false);
    expect(isTokenStore(null)).toBe(false);
    expect(isTokenStore(undefined)).toBe(false);
    expect(isTokenStore("get save remove")).toBe(false);
    expect(isTokenStore(Object.assign(() => undefined, { get: fn, save: fn, remove: fn }))).toBe(false);
  });
});
