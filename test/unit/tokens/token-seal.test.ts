// src/tokens/token-seal.ts: sealing the stored tokens (AES-256-GCM), bound to their user and grant.
import { describe, expect, it } from "@jest/globals";
import { createTokenSealer } from "../../../src/tokens/token-seal.js";

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
