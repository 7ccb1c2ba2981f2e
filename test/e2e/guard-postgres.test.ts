// Two app instances with one PostgreSQL behind them race a refresh-token rotation through the guard.
import { afterAll, afterEach, beforeAll, describe, expect, it } from "@jest/globals";
import request from "supertest";
import { bitbucketAccessGuard } from "../../src/index.js";
import { openDatabase, type AppDatabase } from "../../example-server/database.js";
import { createAuth } from "../../example-server/lucia.js";
import { buildApp, GRANT, login, startHarness, type Harness } from "../helpers/harness.js";
import { ACCESS_FAKE } from "../helpers/access-fixtures.js";
import { hasPostgres, startPostgres, type ThrowawayPostgres } from "../helpers/postgres.js";
import { requireTool } from "../helpers/requirements.js";

const allow = { workspaces: ["fake-team"] };
const client = { clientId: "fake-client-id", clientSecret: "fake-client-secret" };

if (requireTool(hasPostgres(), "PostgreSQL 15 (initdb, pg_ctl)", "apt-get install -y postgresql")) {
  describe("the access guard on two instances sharing PostgreSQL", () => {
    let server: ThrowawayPostgres;
    let h: Harness | undefined;
    let other: AppDatabase | undefined;
    beforeAll(async () => (server = await startPostgres()));
    afterAll(() => server?.stop());
    afterEach(async () => {
      await h?.close();
      await other?.close();
      h = other = undefined;
    });

    it("two instances racing one rotation both keep the session, and the stored tokens still work", async () => {
      const databaseUrl = await server.newDatabase();
      // Instance A: the harness's app. Instance B: its own pool, Lucia and guard on the same database.
      h = await startHarness({ databaseUrl, fake: ACCESS_FAKE });
      const tokensA = h.db.tokens;
      const appA = buildApp(h.auth, {
        router: { allow, tokens: tokensA },
        afterRouter: (app, auth) =>
          app.use(bitbucketAccessGuard(auth, { allow, ...client, tokens: tokensA, interval: 0 })),
      });
      other = await openDatabase({ databaseUrl });
      const authB = createAuth(other.adapter, "DEV");
      const tokensB = other.tokens;
      const appB = buildApp(authB, {
        router: { allow, tokens: tokensB },
        afterRouter: (app, auth) =>
          app.use(bitbucketAccessGuard(auth, { allow, ...client, tokens: tokensB, interval: 0 })),
      });
      // Log in at B (its router stores the tokens); the session is good at A too.
      const agent = request.agent(appB);
      expect((await login(agent)).status).toBe(302);
      const me = await agent.get("/me");
      expect(me.status).toBe(200);
      const userId = me.body.userId as string;
      const cookie = `auth_session=${me.body.sessionId as string}`;

      const stored = await tokensB.get(userId, GRANT);
      expect(stored).not.toBeNull();
      await tokensB.save(userId, GRANT, {
        ...(stored ?? ({} as never)),
        accessTokenExpiresAt: 0,
        checkedAt: 0,
      });
      h.fake.expireAccessTokens();
      h.fake.setLatency(100);
      const before = h.fake.hits.token;
      const [a, b] = await Promise.all([
        request(appA).get("/me").set("Cookie", cookie),
        request(appB).get("/me").set("Cookie", cookie),
      ]);
      expect([a.status, b.status]).toEqual([200, 200]);
      // Both refreshed; Bitbucket took one and refused the other, whose instance read the winner's.
      expect(h.fake.hits.token - before).toBe(2);
      expect((await h.db.counts()).sessions).toBe(1);

      // What is stored works: the next check (forced) needs no refresh.
      h.fake.setLatency(0);
      const now = await tokensB.get(userId, GRANT);
      expect(now?.refreshToken).not.toBe(stored?.refreshToken);
      await tokensB.save(userId, GRANT, { ...(now ?? ({} as never)), checkedAt: 0 });
      const tokenHits = h.fake.hits.token;
      expect((await request(appA).get("/me").set("Cookie", cookie)).status).toBe(200);
      expect(h.fake.hits.token).toBe(tokenHits);
    });
  });
}
