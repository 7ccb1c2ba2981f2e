// What one forward-auth instance remembers between checks, and what it must not: a rule that held
// (and a named rule's refusal) for an interval, never a refusal of the login's rule, never a user
// of no key of ours, one question to Bitbucket for concurrent checks, and nothing in the token row.
import { afterEach, describe, expect, it } from "@jest/globals";
import type { Adapter } from "lucia";
import { memoryTokenStore, type BitbucketForwardAuthOptions } from "../../../src/index.js";
import { GRANT, type Harness } from "../../helpers/harness.js";
import { rulesOutage, signedInAs, startForwardAuth } from "../../helpers/forward-auth-harness.js";
import { revocationAfterRead } from "../../helpers/race.js";

const rules = {
  docs: { workspaces: ["fake-team"] },
  ops: { workspaces: ["fake-team"], role: "owner" },
} as const;

let h: Harness | undefined;
afterEach(async () => {
  await h?.close();
  h = undefined;
});

async function start(
  options: Partial<BitbucketForwardAuthOptions> = {},
  adapter?: (real: Adapter) => Adapter,
) {
  const tokens = memoryTokenStore();
  h = await startForwardAuth({ tokens, rules, options, adapter });
  return { harness: h, tokens };
}

/** How many requests Bitbucket (the fake) received while `run` ran. */
async function asked(harness: Harness, run: () => Promise<unknown>): Promise<number> {
  const before = harness.fake.requests.length;
  await run();
  return harness.fake.requests.length - before;
}

describe("forward-auth remembers", () => {
  it("a named rule's refusal for an interval: no second question to Bitbucket", async () => {
    const { harness } = await start();
    const { agent } = await signedInAs(harness, "ada");
    expect(
      await asked(harness, async () => expect((await agent.get("/_auth/check/ops")).status).toBe(403)),
    ).toBeGreaterThan(0);
    expect(
      await asked(harness, async () => expect((await agent.get("/_auth/check/ops")).status).toBe(403)),
    ).toBe(0);
  });

  it("the login's rule and each named rule side by side, even with room for one user only", async () => {
    const { harness } = await start({ cacheSize: 1 });
    const { agent } = await signedInAs(harness, "olga");
    expect((await agent.get("/_auth/check/ops")).status).toBe(200);
    expect(
      await asked(harness, async () => expect((await agent.get("/_auth/check/ops")).status).toBe(200)),
    ).toBe(0);
  });

  it("nothing in the token row: a named rule never overwrites the login's stamp", async () => {
    const { harness, tokens } = await start();
    const { agent, userId } = await signedInAs(harness, "olga");
    const before = await tokens.get(userId, GRANT);
    expect((await agent.get("/_auth/check/ops")).status).toBe(200);
    const after = await tokens.get(userId, GRANT);
    expect(after?.checkedRules).toBe(before?.checkedRules);
    expect(after?.checkedAt).toBe(before?.checkedAt);
  });

  it("one question for concurrent checks of one user", async () => {
    const { harness } = await start();
    const { agent: ada } = await signedInAs(harness, "ada");
    const one = await asked(harness, () => ada.get("/_auth/check"));
    const { agent: olga } = await signedInAs(harness, "olga");
    harness.fake.setLatency(100);
    const four = await asked(harness, () => Promise.all([1, 2, 3, 4].map(() => olga.get("/_auth/check"))));
    expect(four).toBe(one);
  });
});

describe("forward-auth never remembers", () => {
  it("a refusal of the login's rule: someone let back in is admitted at their next login", async () => {
    const { harness } = await start();
    const { agent } = await signedInAs(harness, "olga");
    harness.fake.setWorkspaceRole("olga", "fake-team", null);
    expect((await agent.get("/_auth/check")).body.error).toBe("ACCESS_REVOKED");
    harness.fake.setWorkspaceRole("olga", "fake-team", "owner");
    const { agent: again } = await signedInAs(harness, "olga");
    expect((await again.get("/_auth/check")).status).toBe(200);
    expect((await harness.db.counts()).sessions).toBe(1);
  });

  it("a user of no key of ours: once they have a grant of this Bitbucket, they are admitted", async () => {
    const { harness, tokens } = await start();
    const user = await harness.auth.createUser({
      key: { providerId: "email", providerUserId: "someone@example.com", password: null },
      attributes: { display_name: "Someone", avatar_url: null, email: null },
    });
    const session = await harness.auth.createSession({
      userId: user.userId,
      attributes: { user_agent: null },
    });
    const cookie = harness.auth.createSessionCookie(session).serialize();
    expect((await harness.agent().get("/_auth/check").set("Cookie", cookie)).status).toBe(401);
    // The same person's grant, as a link would store it.
    const { userId: ada } = await signedInAs(harness, "ada");
    await tokens.save(user.userId, GRANT, (await tokens.get(ada, GRANT))!);
    expect((await harness.agent().get("/_auth/check").set("Cookie", cookie)).status).toBe(200);
  });
});

describe("forward-auth keeps what held through an outage", () => {
  it("a named rule that held, for up to maxStale after it last held", async () => {
    const { harness } = await start({ interval: 0, maxStale: 60_000 });
    const { agent } = await signedInAs(harness, "olga");
    expect((await agent.get("/_auth/check/ops")).status).toBe(200);
    rulesOutage(harness);
    const res = await agent.get("/_auth/check/ops");
    expect(res.status).toBe(200);
    expect(res.headers["x-auth-request-role"]).toBe("owner");
  });
});

describe("forward-auth fails closed", () => {
  it("ends the sessions when Bitbucket cannot be asked about the login's rule for longer than maxStale", async () => {
    const { harness } = await start({ interval: 0, maxStale: 0 });
    const { agent } = await signedInAs(harness, "ada");
    rulesOutage(harness);
    const res = await agent.get("/_auth/check/docs");
    expect({ status: res.status, error: res.body.error }).toEqual({ status: 401, error: "ACCESS_REVOKED" });
    expect((await harness.db.counts()).sessions).toBe(0);
  });

  it("answers TOKENS_NOT_STORED, and ends the sessions, for a user of ours whose tokens are gone", async () => {
    const { harness, tokens } = await start();
    const { agent, userId } = await signedInAs(harness, "ada");
    await tokens.remove(userId, GRANT);
    const res = await agent.get("/_auth/check");
    expect({ status: res.status, error: res.body.error }).toEqual({
      status: 500,
      error: "TOKENS_NOT_STORED",
    });
    expect((await harness.db.counts()).sessions).toBe(0);
  });

  it("answers a request that raced another's revocation as signed out, not TOKENS_NOT_STORED", async () => {
    const revocation = revocationAfterRead();
    const { harness, tokens } = await start({}, revocation.adapter);
    const { agent, userId } = await signedInAs(harness, "ada");
    await tokens.remove(userId, GRANT);
    revocation.arm();
    const res = await agent.get("/_auth/check");
    expect({ status: res.status, error: res.body.error }).toEqual({ status: 401, error: "SIGN_IN_REQUIRED" });
  });

  it("answers a database that cannot read the session with a 500, never as signed out", async () => {
    let broken = false;
    const { harness } = await start({}, (real) => {
      const down = () => new Error("database down");
      const { getSessionAndUser } = real;
      return {
        ...real,
        getSession: async (id: string) => {
          if (broken) throw down();
          return real.getSession(id);
        },
        // Only where the adapter has it (the SQLite one does not): Lucia reads the pair then.
        ...(getSessionAndUser && {
          getSessionAndUser: async (id: string) => {
            if (broken) throw down();
            return getSessionAndUser.call(real, id);
          },
        }),
      };
    });
    const { agent } = await signedInAs(harness, "ada");
    broken = true;
    const res = await agent.get("/_auth/redirect/docs");
    expect({ status: res.status, error: res.body.error }).toEqual({
      status: 500,
      error: "TOKEN_STORE_FAILED",
    });
    expect(res.body.message).toBe("The session could not be read.");
    // The database's own error stays the cause, for the app's logs.
    expect(((harness.errors.at(-1) as Error).cause as Error).message).toBe("database down");
  });

  it("answers a path that only starts like a route as not its own, and names a malformed rule as such", async () => {
    const { harness } = await start();
    const { agent } = await signedInAs(harness, "ada");
    expect((await agent.get("/_auth/checkdocs")).status).toBe(404);
    expect((await agent.get("/_auth/redirects")).status).toBe(404);
    const res = await agent.get("/_auth/check/__proto__");
    expect(res.body.message).toBe(
      "The proxy asked forward-auth for the rule a malformed name, which is not in its rules option; nothing was let through.",
    );
  });
});
