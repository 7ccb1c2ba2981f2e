// What a guard that finds no tokens says, for each thing the routers of its auth were given.
import { describe, expect, it } from "@jest/globals";
import type { Auth } from "lucia";
import { memoryTokenStore } from "../../../src/index.js";
import { missingTokensCause, noteRouterStore } from "../../../src/tokens/router-stores.js";

// Only the object's identity is read: any object stands for an auth here.
const anAuth = () => ({}) as Auth;
const GRANT = "cloud:bitbucket";

describe("missingTokensCause", () => {
  it("without any router of this auth, gives the general fix", () => {
    expect(missingTokensCause(anAuth(), GRANT, memoryTokenStore())).toBe(
      "pass the same token store to bitbucketRouter(auth, { ...options, tokens }) as to this guard, so that each login stores its tokens where the guard reads them.",
    );
  });

  it("when the routers of this Bitbucket were given no tokens, says so", () => {
    const auth = anAuth();
    noteRouterStore(auth, GRANT, null);
    noteRouterStore(auth, GRANT, null);
    expect(missingTokensCause(auth, GRANT, memoryTokenStore())).toMatch(
      /^bitbucketRouter was given no tokens option/,
    );
  });

  it("when they were given other stores (or none), says another store", () => {
    const auth = anAuth();
    noteRouterStore(auth, GRANT, null);
    noteRouterStore(auth, GRANT, memoryTokenStore());
    expect(missingTokensCause(auth, GRANT, memoryTokenStore())).toMatch(
      /^bitbucketRouter was given another token store/,
    );
  });

  it("when one was given the guard's store, says the row is missing", () => {
    const auth = anAuth();
    const tokens = memoryTokenStore();
    noteRouterStore(auth, GRANT, memoryTokenStore());
    noteRouterStore(auth, GRANT, tokens);
    expect(missingTokensCause(auth, GRANT, tokens)).toMatch(
      /^the router stores tokens in this guard's store/,
    );
  });

  it("keeps each auth and each Bitbucket apart", () => {
    const auth = anAuth();
    const tokens = memoryTokenStore();
    noteRouterStore(auth, "datacenter:https://bitbucket.example.com", tokens);
    noteRouterStore(anAuth(), GRANT, tokens);
    expect(missingTokensCause(auth, GRANT, tokens)).toMatch(/^pass the same token store/);
  });
});
