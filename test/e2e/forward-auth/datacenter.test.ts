// bitbucketForwardAuth for a Data Center router: Data Center's rules and names in the headers,
// a non-ASCII name percent-encoded, a project permission taken away while signed in.
import { afterEach, describe, expect, it } from "@jest/globals";
import { bitbucketForwardAuth, memoryTokenStore } from "../../../src/index.js";
import { DEFAULT_FAKE_DATACENTER_CLIENT } from "../../../src/testing/index.js";
import {
  closeDataCenterHarness,
  dcLogin,
  startDataCenterHarness,
  type DataCenterHarness,
} from "../../helpers/datacenter.js";

let h: DataCenterHarness | undefined;
afterEach(async () => {
  await closeDataCenterHarness(h);
  h = undefined;
});

const ENG = { projects: ["ENG"] };
const rules = {
  api: { repositories: ["ENG/api"] },
  ops: { projects: ["OPS"], permission: "admin" },
} as const;

async function start(allow: { projects?: string[]; repositories?: string[] } = ENG) {
  const tokens = memoryTokenStore();
  h = await startDataCenterHarness({
    router: { allow, tokens },
    afterRouter: (app, auth, dc) =>
      app.use(
        "/_auth",
        bitbucketForwardAuth(auth, {
          serverUrl: dc.url,
          allow,
          rules,
          ...DEFAULT_FAKE_DATACENTER_CLIENT,
          tokens,
          interval: 0,
          loginUrl: "/login/bitbucket",
        }),
      ),
  });
  return h;
}

describe("forward-auth on Data Center", () => {
  it("names the project and permission that admitted the user, and refuses a project they lack", async () => {
    const harness = await start();
    const agent = harness.agent();
    expect((await dcLogin(agent)).status).toBe(302);
    const res = await agent.get("/_auth/check");
    expect(res.status).toBe(200);
    expect(res.headers["x-auth-request-user"]).toBe("ada");
    expect(res.headers["x-auth-request-email"]).toBe("ada@dc.test");
    expect(res.headers["x-auth-request-project"]).toBe("ENG");
    expect(res.headers["x-auth-request-permission"]).toBe("read");
    const api = await agent.get("/_auth/check/api");
    expect(api.headers["x-auth-request-repository"]).toBe("ENG/api");
    const ops = await agent.get("/_auth/check/ops");
    expect({ status: ops.status, error: ops.body.error }).toEqual({
      status: 403,
      error: "ACCESS_NOT_ALLOWED",
    });
    harness.dc.setPermission("ada", "OPS", "admin");
    // A refusal stands for an interval; with interval 0 the next check asks again.
    expect((await agent.get("/_auth/check/ops")).status).toBe(200);
  });

  it("sends a non-ASCII name percent-encoded, and no email when the record has none", async () => {
    // Zoë reads ENG/api and nothing else of ENG.
    const harness = await start({ repositories: ["ENG/api"] });
    harness.dc.approveAs("zoë");
    const agent = harness.agent();
    expect((await dcLogin(agent)).status).toBe(302);
    const res = await agent.get("/_auth/check/api");
    expect(res.status).toBe(200);
    expect(res.headers["x-auth-request-user"]).toBe("zo%C3%AB");
    expect(decodeURIComponent(res.headers["x-auth-request-user"] as string)).toBe("zoë");
    expect(res.headers["x-auth-request-email"]).toBeUndefined();
  });

  it("ends the sessions of someone whose project permission was taken away", async () => {
    const harness = await start();
    const agent = harness.agent();
    await dcLogin(agent);
    expect((await agent.get("/_auth/check")).status).toBe(200);
    harness.dc.setPermission("ada", "ENG", null);
    const res = await agent.get("/_auth/redirect").set("X-Forwarded-Uri", "/wiki");
    expect(res.status).toBe(302);
    expect(res.headers.location).toBe("/login/bitbucket?returnTo=%2Fwiki");
    expect((await harness.db.counts()).sessions).toBe(0);
  });
});
