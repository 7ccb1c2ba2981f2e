import { afterAll, afterEach, beforeAll, describe, expect, it } from "@jest/globals";
import { login, startHarness, type Harness } from "../helpers/harness.js";
import { concurrentCallbacks, raceHooks } from "../helpers/race.js";
import { hasPostgres, startPostgres, type ThrowawayPostgres } from "../helpers/postgres.js";
import { requireTool } from "../helpers/requirements.js";

if (requireTool(hasPostgres(), "PostgreSQL 15 (initdb, pg_ctl)", "apt-get install -y postgresql")) {
  describe("the login on real PostgreSQL 15", () => {
    let server: ThrowawayPostgres;
    let h: Harness;
    beforeAll(async () => (server = await startPostgres()));
    afterAll(() => server?.stop());
    afterEach(() => h?.close());
    const start = async (router = {}) =>
      (h = await startHarness({ databaseUrl: await server.newDatabase(), router }));

    it("creates a new user, then signs the returning user into it", async () => {
      await start();
      expect(h.db.kind).toBe("postgres");
      const first = h.agent();
      expect((await login(first)).status).toBe(302);
      const second = h.agent();
      expect((await login(second)).status).toBe(302);
      expect((await second.get("/me")).body.userId).toBe((await first.get("/me")).body.userId);
      expect(await h.db.counts()).toEqual({ users: 1, keys: 1, sessions: 2 });
    });

    it("makes one user out of 50 concurrent first logins", async () => {
      const race = raceHooks(50);
      await start(race.router);
      const { statuses } = await concurrentCallbacks(h, 50);
      expect(statuses).toEqual(Array(50).fill(302));
      expect(race.stats).toEqual({ arrived: 50, created: 1, linked: 0 });
      expect(await h.db.counts()).toEqual({ users: 1, keys: 1, sessions: 50 });
    });

    it("logs out through the router's logout route", async () => {
      await start({ logoutPath: "/logout" });
      const agent = h.agent();
      await login(agent);
      expect((await agent.get("/me")).status).toBe(200);
      expect((await agent.post("/logout")).status).toBe(303);
      expect((await agent.get("/me")).status).toBe(401);
      expect((await h.db.counts()).sessions).toBe(0);
    });
  });
}
