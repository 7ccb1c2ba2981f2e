import { afterAll, beforeAll, describe, expect, it } from "@jest/globals";
import { hasPostgres, startPostgres, type ThrowawayPostgres } from "../helpers/postgres.js";
import { freePort, spawnUntil, startExample, type Spawned } from "../helpers/processes.js";
import { requireTool } from "../helpers/requirements.js";

let A: number;
let B: number;
let B_CALLBACK: string;

/** The `name=value` pairs a response sets, for replaying by hand. */
const cookiesOf = (res: Response) =>
  res.headers
    .getSetCookie()
    .map((line) => line.split(";")[0] ?? "")
    .filter((pair) => !pair.endsWith("="));

if (requireTool(hasPostgres(), "PostgreSQL 15 (initdb, pg_ctl)", "apt-get install -y postgresql")) {
  describe("two example-server instances behind no sticky sessions", () => {
    let pg: ThrowawayPostgres;
    let fake: Spawned;
    let a: Spawned;
    let b: Spawned;

    beforeAll(async () => {
      pg = await startPostgres();
      [A, B] = [await freePort(), await freePort()];
      B_CALLBACK = `http://localhost:${B}/login/bitbucket/callback`;
      fake = await spawnUntil(
        "npm",
        ["run", "fake-bitbucket", "--", "--port", "0", "--callback-url", B_CALLBACK],
        {
          ready: /listening on http:\/\/\S+/,
        },
      );
      const fakeUrl = /listening on (http:\/\/\S+)/.exec(fake.output())?.[1] ?? "";
      const env = {
        DATABASE_URL: await pg.newDatabase(),
        COOKIE_SECRET: "shared-secret-for-both-instances",
        BITBUCKET_FAKE_URL: fakeUrl,
        BITBUCKET_REDIRECT_URI: B_CALLBACK,
      };
      [a, b] = await Promise.all([startExample(A, env), startExample(B, env)]);
    });
    afterAll(async () => {
      await Promise.all([a?.stop(), b?.stop(), fake?.stop()]);
      pg?.stop();
    });

    it("begins a login on A, completes it on B, and shares the session and its logout", async () => {
      const start = await fetch(`http://localhost:${A}/login/bitbucket`, { redirect: "manual" });
      expect(start.status).toBe(302);
      const stateCookie = cookiesOf(start);
      const approve = await fetch(start.headers.get("location") ?? "", { redirect: "manual" });
      const callback = approve.headers.get("location") ?? "";
      expect(callback.startsWith(B_CALLBACK)).toBe(true);

      const done = await fetch(callback, { redirect: "manual", headers: { cookie: stateCookie.join("; ") } });
      expect(done.status).toBe(302);
      const session = cookiesOf(done).find((c) => c.startsWith("auth_session=")) ?? "";
      expect(session).toMatch(/^auth_session=\w+/);

      const meA = await fetch(`http://localhost:${A}/me`, { headers: { cookie: session } });
      const meB = await fetch(`http://localhost:${B}/me`, { headers: { cookie: session } });
      expect([meA.status, meB.status]).toEqual([200, 200]);
      const [userA, userB] = [await meA.json(), await meB.json()];
      expect(userA.userId).toBe(userB.userId);

      const logout = await fetch(`http://localhost:${B}/logout`, {
        method: "POST",
        redirect: "manual",
        headers: { cookie: session },
      });
      expect(logout.status).toBe(303);
      expect((await fetch(`http://localhost:${A}/me`, { headers: { cookie: session } })).status).toBe(401);
    });
  });
}
