import { afterEach, describe, expect, it } from "@jest/globals";
import { login, REDIRECT_URI, startHarness, type Harness } from "../helpers/harness.js";
import { expectRefused } from "../helpers/assertions.js";
import { DEFAULT_FAKE_CLIENT, type FakeBitbucketUser } from "../../src/testing/index.js";

let h: Harness;
afterEach(() => h?.close());

/** Logs in with fetchEmail on, as `user`, and returns the email the hooks received. */
async function emailSeen(user: FakeBitbucketUser, extra: Parameters<typeof startHarness>[0] = {}) {
  let seen: string | null | undefined;
  h = await startHarness({
    ...extra,
    fake: { users: [user], ...extra.fake },
    router: {
      fetchEmail: true,
      getUserAttributes: (_bb, { email }) => ((seen = email), { email }),
      ...extra.router,
    },
  });
  const res = await login(h.agent());
  return { res, seen };
}

const uuid = "{cccccccc-0000-4000-8000-000000000003}";
const entry = (email: string, is_primary: boolean, is_confirmed: boolean) => ({
  email,
  is_primary,
  is_confirmed,
});

describe("verified email (fetchEmail)", () => {
  it("hands the hooks the primary, confirmed address", async () => {
    const { res, seen } = await emailSeen({
      uuid,
      emails: [entry("old@x.test", false, true), entry("main@x.test", true, true)],
    });
    expect(res.status).toBe(302);
    expect(seen).toBe("main@x.test");
  });

  it("follows pagination to find it", async () => {
    const many = Array.from({ length: 150 }, (_, i) => entry(`n${i}@x.test`, false, true));
    const { seen } = await emailSeen({ uuid, emails: [...many, entry("late@x.test", true, true)] });
    expect(seen).toBe("late@x.test");
    expect(h.fake.hits.emails).toBe(2);
  });

  it.each([
    ["an empty list", []],
    ["unconfirmed-only addresses", [entry("u@x.test", true, false), entry("v@x.test", false, false)]],
  ])("gives null for %s, without failing", async (_name, emails) => {
    const { res, seen } = await emailSeen({ uuid, emails });
    expect(res.status).toBe(302);
    expect(seen).toBeNull();
  });

  it("is off by default: /2.0/user/emails is never called", async () => {
    h = await startHarness();
    await login(h.agent());
    expect(h.fake.hits.emails).toBe(0);
  });

  it("explains a missing `email` permission", async () => {
    h = await startHarness({
      fake: {
        clients: [{ ...DEFAULT_FAKE_CLIENT, callbackUrl: REDIRECT_URI, scopes: ["account"] }],
      },
      router: { fetchEmail: true },
    });
    const res = await login(h.agent());
    await expectRefused(h, res, "SCOPE_MISSING", 502);
    expect(res.body.message).toMatch(/'email' \(Account: Email\) permission/);
  });

  it("applies the same timeout, and the time-out is the emails call's", async () => {
    h = await startHarness({ router: { fetchEmail: true, timeout: 1000 } });
    h.fake.setFault({ endpoint: "emails", kind: "slow", delayMs: 30_000 });
    await expectRefused(h, await login(h.agent()), "BITBUCKET_TIMEOUT", 504);
    expect(h.fake.hits).toMatchObject({ token: 1, user: 1, emails: 1 });
  });
});
