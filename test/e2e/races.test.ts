import { afterEach, describe, expect, it } from "@jest/globals";
import { startHarness, type Harness } from "../helpers/harness.js";
import { concurrentCallbacks, raceHooks } from "../helpers/race.js";

let h: Harness;
afterEach(() => h?.close());

describe("concurrent first logins for one new Bitbucket account", () => {
  it("50 callbacks at once make exactly one user and one key, 50 sessions, and no 5xx", async () => {
    const race = raceHooks(50);
    h = await startHarness({ router: race.router });
    const { agents, statuses } = await concurrentCallbacks(h, 50);
    expect(statuses).toEqual(Array(50).fill(302));
    expect(race.stats).toEqual({ arrived: 50, created: 1, linked: 0 });
    expect(await h.db.counts()).toEqual({ users: 1, keys: 1, sessions: 50 });
    const ids = new Set(await Promise.all(agents.map(async (agent) => (await agent.get("/me")).body.userId)));
    expect(ids.size).toBe(1);
  });
});
