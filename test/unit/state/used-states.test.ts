// src/state/used-states.ts: the memory of the states taken to Bitbucket.
import { describe, expect, it } from "@jest/globals";
import { createUsedStates } from "../../../src/state/used-states.js";

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
