// Nothing of a login or a re-check outlives it: every deadline is ended when its work is, so no
// timer is left behind (a live deadline's timer is an ordinary, ref'd one, which
// process.getActiveResourcesInfo lists). Real app, real fake Bitbucket (Cloud and Data Center), real SQLite.
import { afterEach, describe, expect, it } from "@jest/globals";
import {
  bitbucketAccessGuard,
  checkBitbucketAccess,
  memoryTokenStore,
  refreshBitbucketTokens,
  type BitbucketTokens,
} from "../../src/index.js";
import { ACCESS_FAKE } from "../helpers/access-fixtures.js";
import {
  closeDataCenterHarness,
  dcLogin,
  startDataCenterHarness,
  type DataCenterHarness,
} from "../helpers/datacenter.js";
import { login, startHarness, type Harness } from "../helpers/harness.js";

const allow = { workspaces: ["fake-team"] };
const client = { clientId: "fake-client-id", clientSecret: "fake-client-secret" };
const timers = () => process.getActiveResourcesInfo().filter((r) => r === "Timeout").length;
// Sockets close and callbacks finish on later turns of the event loop.
const settled = () => new Promise((resolve) => setImmediate(resolve));

let h: Harness | undefined;
let dc: DataCenterHarness | undefined;
afterEach(async () => {
  await h?.close();
  await closeDataCenterHarness(dc);
  h = dc = undefined;
});

/** A Cloud harness whose router stores tokens and whose guard checks every request. */
function guarded(guard: { timeout?: number } = {}) {
  const tokens = memoryTokenStore();
  return startHarness({
    fake: ACCESS_FAKE,
    router: { allow, tokens },
    afterRouter: (app, auth) =>
      app.use(bitbucketAccessGuard(auth, { allow, ...client, tokens, interval: 0, ...guard })),
  });
}

/** The timers left by `run`, measured after a first `run` has warmed every pool and cache. */
async function leftBy(run: () => Promise<unknown>): Promise<number> {
  await run();
  await settled();
  const before = timers();
  await run();
  await settled();
  return timers() - before;
}

describe("no timer outlives", () => {
  it("a Cloud login, with the gate and the email", async () => {
    h = await startHarness({ fake: ACCESS_FAKE, router: { allow, fetchEmail: true } });
    expect(await leftBy(async () => expect((await login(h!.agent())).status).toBe(302))).toBe(0);
  });

  it("a Cloud login that fails at the gate", async () => {
    h = await startHarness({ fake: ACCESS_FAKE, router: { allow: { workspaces: ["elsewhere"] } } });
    expect(await leftBy(async () => expect((await login(h!.agent())).status).toBe(403))).toBe(0);
  });

  it("a Data Center login with allow", async () => {
    dc = await startDataCenterHarness({ router: { allow: { projects: ["ENG"] } } });
    expect(await leftBy(async () => expect((await dcLogin(dc!.agent())).status).toBe(302))).toBe(0);
  });

  it("checkBitbucketAccess and refreshBitbucketTokens", async () => {
    let tokens: BitbucketTokens | undefined;
    h = await startHarness({
      fake: ACCESS_FAKE,
      router: { onSuccess: (ctx) => void (tokens = ctx.bitbucketTokens) },
    });
    await login(h.agent());
    expect(await leftBy(() => checkBitbucketAccess({ accessToken: tokens!.accessToken, allow }))).toBe(0);
    expect(
      await leftBy(async () => {
        const fresh = await refreshBitbucketTokens({ ...client, refreshToken: tokens!.refreshToken, allow });
        tokens = fresh;
      }),
    ).toBe(0);
  });

  it("checkBitbucketAccess on Data Center", async () => {
    let accessToken = "";
    dc = await startDataCenterHarness({
      router: {
        scope: ["PUBLIC_REPOS", "REPO_READ"],
        onSuccess: (ctx) => void (accessToken = ctx.bitbucketTokens.accessToken),
      },
    });
    expect((await dcLogin(dc.agent())).status).toBe(302);
    const ask = () =>
      checkBitbucketAccess({ serverUrl: dc!.dc.url, accessToken, allow: { projects: ["ENG"] } });
    expect(await ask()).toMatchObject({ allowed: true });
    expect(await leftBy(ask)).toBe(0);
  });

  it("a check of bitbucketAccessGuard", async () => {
    h = await guarded();
    const agent = h.agent();
    expect((await login(agent)).status).toBe(302);
    const before = h.fake.hits.permission;
    expect(await leftBy(async () => expect((await agent.get("/me")).status).toBe(200))).toBe(0);
    // Each request asked Bitbucket: the guard's deadline was made, and ended.
    expect(h.fake.hits.permission - before).toBe(2);
  });

  it("a revocation by bitbucketAccessGuard, whose token removal runs under a deadline too", async () => {
    h = await guarded({ timeout: 60_000 });
    const revokeOnce = async () => {
      h!.fake.setWorkspaceRole("ada", "fake-team", "member");
      const agent = h!.agent();
      expect((await login(agent)).status).toBe(302);
      h!.fake.setWorkspaceRole("ada", "fake-team", null);
      const res = await agent.get("/me");
      expect({ status: res.status, error: res.body.error }).toEqual({ status: 401, error: "ACCESS_REVOKED" });
    };
    expect(await leftBy(revokeOnce)).toBe(0);
  });
});
