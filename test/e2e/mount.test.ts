// Mounting under a prefix: a router whose callback route does not line up with redirectUri answers
// a coded configuration error at its first request, instead of a bare 404 after Bitbucket.
import { afterAll, afterEach, beforeAll, describe, expect, it } from "@jest/globals";
import { format } from "node:util";
import createDebug from "debug";
import request from "supertest";
import {
  approveAtFake,
  buildApp,
  setCookies,
  startHarness,
  STATE_COOKIE,
  type Harness,
} from "../helpers/harness.js";

let h: Harness;
const lines: string[] = [];
beforeAll(async () => {
  // Bitbucket takes a prefix of the callback URL: the apps here are mounted under several prefixes.
  h = await startHarness({ fake: { callbackUrl: "http://app.test/" } });
  createDebug.enable("express-lucia-bitbucket*");
  createDebug.log = (...args: unknown[]) => void lines.push(format(...args));
});
afterEach(() => void (lines.length = 0));
afterAll(async () => {
  createDebug.disable();
  await h?.close();
});

describe("a router mounted under another prefix than redirectUri's path", () => {
  it("answers the login start with MOUNT_PATH_MISMATCH (500), naming both paths and the fix, and logs it", async () => {
    const app = buildApp(h.auth, { mount: "/auth" });
    const res = await request(app).get("/auth/login/bitbucket");
    expect(res.status).toBe(500);
    expect(res.body.error).toBe("MOUNT_PATH_MISMATCH");
    const message =
      'The router is mounted at "/auth", so its callback route is "/auth/login/bitbucket/callback", but ' +
      `redirectUri's path is "/login/bitbucket/callback": Bitbucket's redirect would land on a route that never ` +
      "reaches the router (a bare 404). Mount it at the root, app.use(bitbucketRouter(...)), or change " +
      `redirectUri's path to "/auth/login/bitbucket/callback" (and the callback URL registered with Bitbucket).`;
    expect(res.body.message).toBe(message);
    expect(setCookies(res, STATE_COOKIE)).toEqual([]);
    expect(res.headers.location).toBeUndefined();
    // One line with the fix (debug prefixes a timestamp when stderr is not a terminal).
    const logged = lines.filter((line) => line.includes("MOUNT_PATH_MISMATCH"));
    expect(logged).toHaveLength(2);
    expect(logged[0]).toMatch(/express-lucia-bitbucket configuration error: MOUNT_PATH_MISMATCH: /);
    expect(logged[0]?.endsWith(message)).toBe(true);
    expect(logged[1]).toMatch(/express-lucia-bitbucket login failed: MOUNT_PATH_MISMATCH$/);
    expect(h.fake.hits.authorize).toBe(0);
    expect(await h.db.counts()).toEqual({ users: 0, keys: 0, sessions: 0 });
  });

  it("says which prefix to mount under when redirectUri has one and the router sits at the root", async () => {
    const app = buildApp(h.auth, {
      router: { redirectUri: "http://app.test/auth/login/bitbucket/callback" },
    });
    const res = await request(app).get("/login/bitbucket");
    expect(res.status).toBe(500);
    expect(res.body.error).toBe("MOUNT_PATH_MISMATCH");
    expect(res.body.message).toContain('Mount it with app.use("/auth", bitbucketRouter(...))');
  });

  it("checks once: every later request to its routes gets the same error, with no new log line", async () => {
    const app = buildApp(h.auth, { mount: "/auth" });
    await request(app).get("/auth/login/bitbucket");
    const logged = lines.filter((line) => line.includes("configuration error")).length;
    const callback = await request(app).get("/auth/login/bitbucket/callback?code=x&state=y");
    expect(callback.status).toBe(500);
    expect(callback.body.error).toBe("MOUNT_PATH_MISMATCH");
    expect(lines.filter((line) => line.includes("configuration error")).length).toBe(logged);
    expect(h.fake.hits.token).toBe(0);
  });

  it("passes the app's other requests on untouched", async () => {
    const app = buildApp(h.auth, { mount: "/auth" });
    await request(app).get("/auth/login/bitbucket");
    expect((await request(app).get("/me")).status).toBe(401);
  });

  it("sends failureRedirect's ?error=MOUNT_PATH_MISMATCH when set", async () => {
    const app = buildApp(h.auth, { mount: "/auth", router: { failureRedirect: "/oops" } });
    const res = await request(app).get("/auth/login/bitbucket");
    expect(res.status).toBe(302);
    expect(res.headers.location).toBe("/oops?error=MOUNT_PATH_MISMATCH");
  });
});

describe("a router mounted under the prefix redirectUri's path has", () => {
  it("logs in at /auth/login/bitbucket, with the state cookie scoped to /auth/login/bitbucket", async () => {
    const before = await h.db.counts();
    const app = buildApp(h.auth, {
      mount: "/auth",
      router: { redirectUri: "http://app.test/auth/login/bitbucket/callback" },
    });
    const agent = request.agent(app);
    const start = await agent.get("/auth/login/bitbucket");
    expect(start.status).toBe(302);
    expect(setCookies(start, STATE_COOKIE)[0]).toContain("Path=/auth/login/bitbucket");
    const callback = await approveAtFake(start.headers.location as string);
    expect(callback).toMatch(/^\/auth\/login\/bitbucket\/callback\?/);
    const done = await agent.get(callback);
    expect(done.status).toBe(302);
    expect(done.headers.location).toBe("/");
    expect((await agent.get("/me")).status).toBe(200);
    expect(await h.db.counts()).toEqual({
      users: before.users + 1,
      keys: before.keys + 1,
      sessions: before.sessions + 1,
    });
    expect(lines.join("\n")).not.toContain("MOUNT_PATH_MISMATCH");
  });
});

describe("the router's routes are matched by path and method together", () => {
  it("serves one path under two methods: GET starts a login, POST logs out, and PUT passes on", async () => {
    const app = buildApp(h.auth, { router: { loginPath: "/connect", logoutPath: "/connect" } });
    app.put("/connect", (_req, res) => void res.status(418).json({ passed: true }));
    const start = await request(app).get("/connect");
    expect(start.status).toBe(302);
    expect(start.headers.location).toMatch(/\/site\/oauth2\/authorize\?/);
    expect(setCookies(start, STATE_COOKIE)).toHaveLength(1);
    // The logout route, not the login: a 303 home, and no state issued.
    const logout = await request(app).post("/connect").set("Origin", "http://app.test");
    expect(logout.status).toBe(303);
    expect(logout.headers.location).toBe("/");
    expect(setCookies(logout, STATE_COOKIE)).toEqual([]);
    const put = await request(app).put("/connect");
    expect(put.status).toBe(418);
    expect(put.body).toEqual({ passed: true });
  });

  it("takes a path with one trailing slash for the route, and a route at / as it is", async () => {
    const app = buildApp(h.auth);
    const start = await request(app).get("/login/bitbucket/");
    expect(start.status).toBe(302);
    expect(setCookies(start, STATE_COOKIE)).toHaveLength(1);
    const atRoot = buildApp(h.auth, { router: { loginPath: "/" } });
    const root = await request(atRoot).get("/");
    expect(root.status).toBe(302);
    expect(root.headers.location).toMatch(/\/site\/oauth2\/authorize\?/);
    // Two slashes are not one route's path with a slash after it.
    expect((await request(app).get("/login/bitbucket//")).status).toBe(404);
  });
});
