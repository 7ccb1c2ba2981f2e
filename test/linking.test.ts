import { afterEach, describe, expect, it } from "@jest/globals";
import { login, startHarness, type Harness } from "./helpers/harness.js";

const SECOND = { uuid: "{bbbbbbbb-0000-4000-8000-000000000002}", display_name: "Second Account" };
let h: Harness;
afterEach(() => h.close());

describe("account linking", () => {
  it("links the Bitbucket account to the signed-in user instead of creating a user", async () => {
    h = await startHarness();
    const agent = h.agent();
    await login(agent);
    const me = (await agent.get("/me")).body;
    h.fake.addUser(SECOND);
    h.fake.setDefaultUser(SECOND.uuid);
    const res = await login(agent);
    expect(res.status).toBe(302);
    const after = (await agent.get("/me")).body;
    expect(after.userId).toBe(me.userId);
    expect(after.sessionId).not.toBe(me.sessionId);
    const keys = await h.auth.getAllUserKeys(me.userId);
    expect(keys.map((k) => k.providerUserId).sort()).toEqual(
      [SECOND.uuid, "{4a2f6c1e-8b7d-4e0a-9c3f-1d2e3f4a5b6c}"].sort(),
    );
    expect(await h.db.counts()).toEqual({ users: 1, keys: 2, sessions: 1 });
  });

  it("refuses an account linked to another user, and leaves both users as they are", async () => {
    h = await startHarness();
    h.fake.addUser(SECOND);
    const owner = h.agent();
    h.fake.setDefaultUser(SECOND.uuid);
    await login(owner);
    const other = h.agent();
    h.fake.setDefaultUser("{4a2f6c1e-8b7d-4e0a-9c3f-1d2e3f4a5b6c}");
    await login(other);
    const otherMe = (await other.get("/me")).body;
    const before = await h.db.counts();

    h.fake.setDefaultUser(SECOND.uuid);
    const res = await login(other);
    expect(res.status).toBe(409);
    expect(res.body.error).toBe("ACCOUNT_ALREADY_LINKED");
    expect(await h.db.counts()).toEqual(before);
    expect((await other.get("/me")).body.sessionId).toBe(otherMe.sessionId);
    expect((await h.auth.getAllUserKeys(otherMe.userId)).length).toBe(1);
  });

  it("can be switched off: the second account then signs in as its own user", async () => {
    h = await startHarness({ router: { linkAccounts: false } });
    const agent = h.agent();
    await login(agent);
    const first = (await agent.get("/me")).body;
    h.fake.addUser(SECOND);
    h.fake.setDefaultUser(SECOND.uuid);
    await login(agent);
    const second = (await agent.get("/me")).body;
    expect(second.userId).not.toBe(first.userId);
    await expect(h.auth.validateSession(first.sessionId)).rejects.toThrow();
    expect(await h.db.counts()).toEqual({ users: 2, keys: 2, sessions: 1 });
  });
});
