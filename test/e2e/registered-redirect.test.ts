// Both fakes hold an app to the callback URL it registered, as Bitbucket does: Cloud takes a
// `redirect_uri` that starts with the consumer's callback URL, Data Center only the exact string
// of the application link, and neither takes one when nothing is registered. A `redirectUri` that
// would fail at the first real login (another host, a missing mount prefix, a trailing slash on
// Data Center) fails against the fakes too, on Bitbucket's own page and never by redirect.
import { afterEach, describe, expect, it } from "@jest/globals";
import {
  DEFAULT_FAKE_CLIENT,
  startFakeBitbucket,
  startFakeDataCenter,
  type FakeBitbucket,
  type FakeDataCenter,
} from "../../src/testing/index.js";
import { beginLogin, startHarness, type Harness } from "../helpers/harness.js";
import {
  closeDataCenterHarness,
  startDataCenterHarness,
  type DataCenterHarness,
} from "../helpers/datacenter.js";

const CALLBACK = "http://app.test/login/bitbucket/callback";
let h: Harness | undefined;
let dch: DataCenterHarness | undefined;
let fake: FakeBitbucket | undefined;
let dc: FakeDataCenter | undefined;
afterEach(async () => {
  await h?.close();
  await closeDataCenterHarness(dch);
  await fake?.close();
  await dc?.close();
  h = dch = fake = dc = undefined;
});

/** The authorize answer, as a browser would get it: status, Location and whether it is HTML. */
const authorize = async (url: string) => {
  const res = await fetch(url, { redirect: "manual" });
  return {
    status: res.status,
    location: res.headers.get("location"),
    html: (res.headers.get("content-type") ?? "").startsWith("text/html"),
    body: await res.text(),
  };
};
const refusedOnItsPage = { status: 400, location: null, html: true };
/** The authorize endpoint at `path` of the fake at `base`, asked for `redirectUri` by the default client. */
const authorizeWith = (path: string) => (base: string, redirectUri: string) =>
  authorize(
    `${base}${path}?${new URLSearchParams({ client_id: "fake-client-id", response_type: "code", state: "s", redirect_uri: redirectUri })}`,
  );

describe("the fake Bitbucket Cloud, with the consumer's callback URL", () => {
  const cloudAuthorize = authorizeWith("/site/oauth2/authorize");

  it("refuses every redirect_uri when the consumer registers none, on Bitbucket's page", async () => {
    fake = await startFakeBitbucket();
    const answer = await cloudAuthorize(fake.url, CALLBACK);
    expect(answer).toMatchObject(refusedOnItsPage);
    expect(answer.body).toContain("Invalid redirect_uri");
  });

  it("takes a redirect_uri that starts with the callback URL, and refuses any other", async () => {
    fake = await startFakeBitbucket({ callbackUrl: "http://app.test/auth/" });
    for (const ok of ["http://app.test/auth/login/bitbucket/callback", "http://app.test/auth/"])
      expect((await cloudAuthorize(fake.url, ok)).status).toBe(302);
    for (const wrong of [
      "http://app.test/login/bitbucket/callback", // the mount prefix missing
      "https://app.test/auth/login/bitbucket/callback", // another scheme
      "http://other.test/auth/login/bitbucket/callback", // another host
      "http://app.test/Auth/login/bitbucket/callback", // another case
    ])
      expect({ wrong, ...(await cloudAuthorize(fake.url, wrong)) }).toMatchObject({
        wrong,
        ...refusedOnItsPage,
      });
  });

  it("refuses a router whose redirectUri the consumer does not know: no redirect back, no code", async () => {
    h = await startHarness({ fake: { callbackUrl: "http://app.test/auth/" } });
    const { authorizeUrl } = await beginLogin(h.agent());
    expect(await authorize(authorizeUrl)).toMatchObject(refusedOnItsPage);
    expect(h.fake.hits.token).toBe(0);
    expect(await h.db.counts()).toEqual({ users: 0, keys: 0, sessions: 0 });
  });

  it("keeps callbackUrl for the default consumer: with clients, each brings its own", async () => {
    await expect(
      startFakeBitbucket({
        callbackUrl: CALLBACK,
        clients: [{ ...DEFAULT_FAKE_CLIENT, callbackUrl: CALLBACK }],
      }),
    ).rejects.toThrow(
      new TypeError(
        "startFakeBitbucket: callbackUrl is the default consumer's; give each of clients its own.",
      ),
    );
  });
});

describe("the fake Data Center, with the link's redirect URIs", () => {
  const dcAuthorize = authorizeWith("/rest/oauth2/latest/authorize");

  it("refuses every redirect URI when the default client registers none", async () => {
    dc = await startFakeDataCenter();
    const answer = await dcAuthorize(dc.url, CALLBACK);
    expect(answer).toMatchObject(refusedOnItsPage);
    expect(answer.body).toContain("Invalid redirect_uri");
  });

  it("takes only the exact string registered: a trailing slash, a query or another case is another URI", async () => {
    dc = await startFakeDataCenter({ redirectUris: [CALLBACK] });
    expect((await dcAuthorize(dc.url, CALLBACK)).status).toBe(303);
    for (const wrong of [`${CALLBACK}/`, `${CALLBACK}?x=1`, CALLBACK.replace("app.test", "APP.test")])
      expect({ wrong, ...(await dcAuthorize(dc.url, wrong)) }).toMatchObject({ wrong, ...refusedOnItsPage });
  });

  it("refuses a router whose redirectUri the link does not have, before any code is issued", async () => {
    dch = await startDataCenterHarness({ fake: { redirectUris: [`${CALLBACK}/`] } });
    const start = await dch.agent().get("/login/bitbucket");
    expect(start.status).toBe(302);
    expect(await authorize(start.headers.location as string)).toMatchObject(refusedOnItsPage);
    expect(dch.dc.requests.filter((r) => r.url.includes("/token"))).toEqual([]);
  });

  it("keeps redirectUris for the default client: with clients, each brings its own", async () => {
    await expect(
      startFakeDataCenter({ redirectUris: [CALLBACK], clients: [{ clientId: "a", clientSecret: "b" }] }),
    ).rejects.toThrow(
      new TypeError(
        "startFakeDataCenter: redirectUris are the default client's; give each of clients its own.",
      ),
    );
  });
});
