import { afterEach, describe, expect, it } from "@jest/globals";
import { approveAtFake, beginLogin, startHarness, type Agent, type Harness } from "./helpers/harness.js";

let h: Harness;
afterEach(() => h.close());

/** N browsers that each started a login and got a code: their callbacks are ready to fire at once. */
async function pendingCallbacks(n: number): Promise<{ agent: Agent; callback: string }[]> {
  const pending = [];
  for (let i = 0; i < n; i++) {
    const agent = h.agent();
    pending.push({ agent, callback: await approveAtFake((await beginLogin(agent)).authorizeUrl) });
  }
  return pending;
}

describe("concurrent first logins for one new Bitbucket account", () => {
  it("50 callbacks at once make exactly one user and one key, 50 sessions, and no 5xx", async () => {
    let created = 0;
    // A barrier in the app's attributes hook holds every callback until all 50 have seen "no user
    // yet", so all 50 really race to create it, and 49 must lose on the duplicate key.
    let arrived = 0;
    let release: () => void = () => undefined;
    const allArrived = new Promise<void>((resolve) => (release = resolve));
    h = await startHarness({
      router: {
        getUserAttributes: async () => {
          if (++arrived === 50) release();
          await Promise.race([allArrived, new Promise((resolve) => setTimeout(resolve, 10_000))]);
          return {};
        },
        onSuccess: ({ isNewUser }) => void (created += isNewUser ? 1 : 0),
      },
    });
    const pending = await pendingCallbacks(50);
    const results = await Promise.all(pending.map(({ agent, callback }) => agent.get(callback)));
    expect(results.map((r) => r.status)).toEqual(Array(50).fill(302));
    expect(await h.db.counts()).toEqual({ users: 1, keys: 1, sessions: 50 });
    expect(arrived).toBe(50);
    expect(created).toBe(1);
    const ids = new Set(
      await Promise.all(pending.map(async ({ agent }) => (await agent.get("/me")).body.userId)),
    );
    expect(ids.size).toBe(1);
  });
});
