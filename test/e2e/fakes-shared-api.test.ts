// The two shipped fakes speak one language where they mean the same thing: approveAs and deny,
// clearFaults, hits and requests, openRequests and whenNoOpenRequests (src/testing/shared/).
import { afterAll, beforeAll, describe, expect, it } from "@jest/globals";
import {
  DEFAULT_FAKE_USER,
  FAKE_OUTSIDER_USER,
  startFakeBitbucket,
  startFakeDataCenter,
  type FakeBitbucket,
  type FakeDataCenter,
} from "../../src/testing/index.js";

let cloud: FakeBitbucket;
let dc: FakeDataCenter;
beforeAll(async () => {
  cloud = await startFakeBitbucket({
    users: [DEFAULT_FAKE_USER, FAKE_OUTSIDER_USER],
    callbackUrl: "http://app.test/cb",
  });
  dc = await startFakeDataCenter({ redirectUris: ["http://app.test/cb"] });
});
afterAll(async () => {
  await cloud.close();
  await dc.close();
});

const cloudAuthorize = () =>
  fetch(
    `${cloud.url}/site/oauth2/authorize?${new URLSearchParams({ client_id: "fake-client-id", response_type: "code", state: "s", redirect_uri: "http://app.test/cb" })}`,
    { redirect: "manual" },
  );
const dcAuthorize = () =>
  fetch(
    `${dc.url}/rest/oauth2/latest/authorize?${new URLSearchParams({
      client_id: "fake-client-id",
      redirect_uri: "http://app.test/cb",
      response_type: "code",
      state: "s",
      code_challenge: "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM",
      code_challenge_method: "S256",
    })}`,
    { redirect: "manual" },
  );
const errorOf = (res: Response) => new URL(res.headers.get("location") ?? "").searchParams.get("error");

describe("the Cloud fake takes the Data Center fake's names", () => {
  it("deny() refuses the next authorizations until approveAs()", async () => {
    cloud.deny();
    expect(errorOf(await cloudAuthorize())).toBe("access_denied");
    expect(errorOf(await cloudAuthorize())).toBe("access_denied");
    cloud.approveAs("eve");
    const approved = await cloudAuthorize();
    expect(approved.status).toBe(302);
    expect(errorOf(approved)).toBeNull();
    expect(new URL(approved.headers.get("location") ?? "").searchParams.get("code")).toMatch(/.+/);
  });

  it("approveAs() names who approves: the code's token is that account's", async () => {
    cloud.approveAs("eve");
    const code = new URL((await cloudAuthorize()).headers.get("location") ?? "").searchParams.get("code")!;
    const token = await fetch(`${cloud.url}/site/oauth2/access_token`, {
      method: "POST",
      headers: {
        Authorization: `Basic ${Buffer.from("fake-client-id:fake-client-secret").toString("base64")}`,
        "Content-Type": "application/x-www-form-urlencoded",
      },
      body: new URLSearchParams({
        grant_type: "authorization_code",
        code,
        redirect_uri: "http://app.test/cb",
      }),
    }).then((r) => r.json() as Promise<{ access_token: string }>);
    const me = await fetch(`${cloud.url}/2.0/user`, {
      headers: { Authorization: `Bearer ${token.access_token}` },
    }).then((r) => r.json() as Promise<{ uuid: string }>);
    expect(me.uuid).toBe(FAKE_OUTSIDER_USER.uuid);
    cloud.approveAs("ada");
  });

  it("clearFaults() clears every fault, as setFault(null) does", async () => {
    cloud.setFault({ endpoint: "authorize", kind: "status", status: 503 });
    expect((await cloudAuthorize()).status).toBe(503);
    cloud.clearFaults();
    expect((await cloudAuthorize()).status).toBe(302);
  });
});

describe("the Data Center fake takes the Cloud fake's names", () => {
  it("counts hits by endpoint, beside the request log", async () => {
    const before = dc.hits.authorize;
    const logged = dc.requests.length;
    await dcAuthorize();
    await dcAuthorize();
    expect(dc.hits.authorize).toBe(before + 2);
    expect(dc.requests.length).toBe(logged + 2);
    expect(dc.requests.at(-1)?.url).toMatch(/^\/bitbucket\/rest\/oauth2\/latest\/authorize\?/);
  });

  it("tells how many requests are still being answered, and when none is", async () => {
    dc.setFault({ endpoint: "users", kind: "stall" });
    const controller = new AbortController();
    const stalled = fetch(`${dc.url}/rest/api/latest/users?filter=ada`, { signal: controller.signal })
      .then((r) => r.text())
      .catch((err: unknown) => err);
    while (dc.openRequests() === 0) await new Promise((resolve) => setImmediate(resolve));
    expect(dc.openRequests()).toBe(1);
    controller.abort();
    await stalled;
    await dc.whenNoOpenRequests();
    expect(dc.openRequests()).toBe(0);
    dc.clearFaults();
  });
});
