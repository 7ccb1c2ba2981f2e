// The option types every factory builds from the editions' own types (`editions/option-types.ts`).
// The checks are the compiler's: `npm test` type-checks this file first, and a `Same` that is not
// `true`, or a `@ts-expect-error` with no error under it, fails that step. At run time each case
// also builds the factory, so the options typed here are options the factories take.
import { describe, expect, it } from "@jest/globals";
import { lucia } from "lucia";
import {
  bitbucketAccessGuard,
  bitbucketForwardAuth,
  bitbucketGrant,
  bitbucketRouter,
  checkBitbucketAccess,
  memoryTokenStore,
  refreshBitbucketTokens,
  type BitbucketAccessGuardOptions,
  type BitbucketAccessGuardOptionsFor,
  type BitbucketDataCenterAccessGuardOptions,
  type BitbucketDataCenterPermission,
  type BitbucketWorkspace,
  type BitbucketDataCenterForwardAuthOptions,
  type BitbucketDataCenterRouterOptions,
  type BitbucketEdition,
  type BitbucketForwardAuthOptions,
  type BitbucketForwardAuthOptionsFor,
  type BitbucketRouterOptions,
  type BitbucketRouterOptionsFor,
  type CheckBitbucketAccessOptions,
  type CheckBitbucketAccessOptionsFor,
  type CheckBitbucketDataCenterAccessOptions,
  type RefreshBitbucketDataCenterTokensOptions,
  type RefreshBitbucketTokensOptions,
  type RefreshBitbucketTokensOptionsFor,
} from "../../../src/index.js";

// Construction reads no database: an adapter that is never called is enough.
const auth = lucia({ adapter: () => ({}) as never, env: "DEV" });

/** True when each type is assignable to the other. */
type Same<A, B> = [A] extends [B] ? ([B] extends [A] ? true : false) : false;

// Each edition's options, built from its types, are its named options key for key.
const named: readonly true[] = [
  true satisfies Same<BitbucketEdition, "cloud" | "datacenter">,
  true satisfies Same<BitbucketRouterOptionsFor<"cloud">, BitbucketRouterOptions>,
  true satisfies Same<BitbucketRouterOptionsFor<"datacenter">, BitbucketDataCenterRouterOptions>,
  true satisfies Same<BitbucketAccessGuardOptionsFor<"cloud">, BitbucketAccessGuardOptions>,
  true satisfies Same<BitbucketAccessGuardOptionsFor<"datacenter">, BitbucketDataCenterAccessGuardOptions>,
  true satisfies Same<CheckBitbucketAccessOptionsFor<"cloud">, CheckBitbucketAccessOptions>,
  true satisfies Same<CheckBitbucketAccessOptionsFor<"datacenter">, CheckBitbucketDataCenterAccessOptions>,
  true satisfies Same<RefreshBitbucketTokensOptionsFor<"cloud">, RefreshBitbucketTokensOptions>,
  true satisfies Same<
    RefreshBitbucketTokensOptionsFor<"datacenter">,
    RefreshBitbucketDataCenterTokensOptions
  >,
  true satisfies Same<BitbucketForwardAuthOptionsFor<"cloud">, BitbucketForwardAuthOptions>,
  true satisfies Same<BitbucketForwardAuthOptionsFor<"datacenter">, BitbucketDataCenterForwardAuthOptions>,
];

const client = {
  clientId: "id",
  clientSecret: "secret",
  redirectUri: "http://localhost:3000/login/bitbucket/callback",
} as const;
const serverUrl = "https://git.acme.com/bitbucket";

describe("the factories' option types, one per edition", () => {
  it("name each edition's options key for key", () => {
    expect(named).toHaveLength(11);
  });

  it("hand each hook its edition's user through the union of every edition's options", () => {
    const both: readonly BitbucketRouterOptionsFor[] = [
      { ...client, getUserAttributes: (bb) => ({ username: bb.display_name }) },
      { ...client, serverUrl, getUserAttributes: (bb) => ({ username: bb.displayName }) },
    ];
    expect(both.map((options) => typeof bitbucketRouter(auth, options))).toEqual(["function", "function"]);
    // The same, written where the router takes them.
    bitbucketRouter(auth, { ...client, getUserAttributes: (bb) => ({ username: bb.username ?? "" }) });
    bitbucketRouter(auth, { ...client, serverUrl, getUserAttributes: (bb) => ({ username: bb.slug }) });
  });

  it("refuse at compile time what the factories refuse at construction", () => {
    const guard = { ...client, tokens: memoryTokenStore(), allow: { workspaces: ["acme"] } };
    const forward = { ...guard, loginUrl: "/login/bitbucket" };
    const refused: (() => unknown)[] = [
      // @ts-expect-error Data Center's rules on Cloud
      () => bitbucketRouter(auth, { ...client, allow: { projects: ["ENG"] } }),
      // @ts-expect-error Cloud's fetchEmail with serverUrl
      () => bitbucketRouter(auth, { ...client, serverUrl, fetchEmail: true }),
      // @ts-expect-error Data Center's providerId on a Cloud guard
      () => bitbucketAccessGuard(auth, { ...guard, providerId: "x" }),
      // @ts-expect-error Data Center's rules in a Cloud forward-auth's named rule
      () => bitbucketForwardAuth(auth, { ...forward, rules: { ops: { projects: ["OPS"] } } }),
    ];
    for (const build of refused) expect(build).toThrow(TypeError);
  });

  it("type the check's and the refresh's answers by the edition they name", async () => {
    // Never called: no Bitbucket answers here, and only the types are this case's.
    const _cloud = () => checkBitbucketAccess({ accessToken: "t", allow: { workspaces: ["acme"] } });
    const _dataCenter = () =>
      checkBitbucketAccess<"datacenter">({ accessToken: "t", serverUrl, allow: { projects: ["ENG"] } });
    const _refreshed = () =>
      refreshBitbucketTokens<"datacenter">({ ...client, refreshToken: "r", serverUrl });
    type Answers = [
      Awaited<ReturnType<typeof _cloud>>["workspace"],
      Awaited<ReturnType<typeof _dataCenter>>["project"],
      NonNullable<Awaited<ReturnType<typeof _refreshed>>["access"]>["permission"],
    ];
    expect(
      true satisfies Same<Answers, [BitbucketWorkspace | null, string | null, BitbucketDataCenterPermission]>,
    ).toBe(true);
    // Named, the edition's options are checked at run time as without the name.
    await expect(
      refreshBitbucketTokens<"datacenter">({ ...client, refreshToken: "r", serverUrl: "ftp://x" }),
    ).rejects.toThrow(/serverUrl/);
    expect(bitbucketGrant({ serverUrl })).toBe(
      bitbucketGrant({ serverUrl, providerId: "bitbucket-datacenter" }),
    );
  });
});
