// The app's own test with node:test: `node --test dist/test/app.node.test.js`.
import { after, before, describe, it } from "node:test";
import assert from "node:assert/strict";
import { startApp } from "./login.js";

describe("signing in with Bitbucket (node:test)", () => {
  let app: Awaited<ReturnType<typeof startApp>>;
  before(async () => void (app = await startApp()));
  after(() => app.close());

  it("shows the signed-in user on / and in /me", async () => {
    const cookie = await app.login();
    assert.match(await (await app.get("/", cookie)).text(), /Signed in as Ada Fake/);
    const me = (await (await app.get("/me", cookie)).json()) as Record<string, unknown>;
    assert.equal(me.displayName, "Ada Fake");
    assert.equal(me.email, "ada@fake-bitbucket.test");
  });

  it("answers /me with 401 without a session", async () => {
    assert.equal((await app.get("/me")).status, 401);
  });
});
