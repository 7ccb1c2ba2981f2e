// The small security pieces on their own, by what each promises: the Cookie header's grammar, the
// memory of used states, token sealing, and what counts as a token store. The routes' suites show
// the same through HTTP; these pin the edges a request rarely reaches.
import { describe, expect, it } from "@jest/globals";
import { cookiePairs, stripWhitespace } from "../src/state/cookie-header.js";
import { createTokenSealer } from "../src/tokens/token-seal.js";
import { isTokenStore } from "../src/tokens/token-store.js";
import { createUsedStates } from "../src/state/used-states.js";

describe("cookiePairs (RFC 6265's grammar)", () => {
  it("skips a part without '=', and keeps a one-letter name", () => {
    expect(cookiePairs("a=b; flag; c=d")).toEqual([
      ["a", "b"],
      ["c", "d"],
    ]);
  });

  it("strips only SP and HTAB around names and values", () => {
    expect(cookiePairs(" a = b ;\tc\t=\td\t")).toEqual([
      ["a", "b"],
      ["c", "d"],
    ]);
    expect(cookiePairs("\u00a0a=b\u00a0")).toEqual([["\u00a0a", "b\u00a0"]]);
    expect(stripWhitespace("\n x \r")).toBe("\n x \r");
    expect(stripWhitespace(" \t ")).toBe("");
  });

  it("URL-decodes values as cookie-parser does, and keeps one that does not decode", () => {
    expect(cookiePairs("a=s%3Ax; b=%zz")).toEqual([
      ["a", "s:x"],
      ["b", "%zz"],
    ]);
  });
});

describe("createUsedStates", () => {
  it("refuses a state the second time, until it would have expired", () => {
    const used = createUsedStates(1000);
    expect(used.claim("s", 0)).toBe(true);
    expect(used.claim("s", 999)).toBe(false);
    // At its expiry the state's cookie is dead anyway: it is forgotten.
    expect(used.claim("s", 1000)).toBe(true);
  });

  it("forgets another state at the very moment it expires", () => {
    const used = createUsedStates(1000);
    used.claim("a", 0);
    used.claim("b", 1000);
    expect(used.size).toBe(1);
  });

  it("forgets expired states as new ones come", () => {
    const used = createUsedStates(1000);
    used.claim("a", 0);
    used.claim("b", 500);
    used.claim("c", 1200);
    expect(used.size).toBe(2);
    expect(used.claim("b", 1200)).toBe(false);
  });

  it("never holds more than its limit, dropping the oldest first", () => {
    const used = createUsedStates(60_000, 2);
    for (const state of ["a", "b", "c"]) expect(used.claim(state, 0)).toBe(true);
    expect(used.size).toBe(2);
    expect(used.claim("b", 0)).toBe(false);
    expect(used.claim("c", 0)).toBe(false);
    expect(used.size).toBe(2);
    expect(used.claim("a", 0)).toBe(true);
  });
});

describe("createTokenSealer", () => {
  const KEY = "k".repeat(32);
  // Sealed by this version: a later one must still open it (the key derivation must not change).
  const SEALED = "v1.EWJ49Y2_OCETbPT1.aUkXLckHaZsTI3zhaIFxU96NT5lqgVSrrINLsw";

  it("opens what an earlier release sealed with the same key", () => {
    expect(createTokenSealer(KEY, "keys").open("user-1", SEALED)).toBe("hello tokens");
    expect(createTokenSealer([KEY], "keys").open("user-1", SEALED)).toBe("hello tokens");
  });

  it("opens nothing under another version, user or key, or in another shape", () => {
    const sealer = createTokenSealer(KEY, "keys");
    expect(sealer.open("user-1", SEALED.replace(/^v1\./, "v2."))).toBeNull();
    expect(sealer.open("user-2", SEALED)).toBeNull();
    expect(createTokenSealer("j".repeat(32), "keys").open("user-1", SEALED)).toBeNull();
    const [, iv, body] = SEALED.split(".");
    expect(sealer.open("user-1", `v1..${body}`)).toBeNull();
    expect(sealer.open("user-1", `v1.${iv}.`)).toBeNull();
    expect(sealer.open("user-1", `${SEALED}.x`)).toBeNull();
  });

  it("refuses keys shorter than 32 characters, even one among good ones, naming the option", () => {
    const message =
      "tokens.keys must be a string of at least 32 characters, or a non-empty array of them (newest first), " +
      "e.g. the output of `openssl rand -base64 32`; use a key of its own, not the cookie secret.";
    for (const keys of [
      "short",
      [],
      [KEY, "short"],
      undefined,
      [42],
      [{ length: 40 }],
      [[..."k".repeat(40)]],
    ])
      expect(() => createTokenSealer(keys, "tokens.keys")).toThrow(message);
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
