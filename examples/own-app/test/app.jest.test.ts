// The app's own test with Jest (ESM): `NODE_OPTIONS=--experimental-vm-modules jest`.
import { afterAll, beforeAll, describe, expect, it } from "@jest/globals";
import { startApp } from "./login.js";

describe("signing in with Bitbucket (Jest)", () => {
  let app: Awaited<ReturnType<typeof startApp>>;
  beforeAll(async () => void (app = await startApp()));
  afterAll(() => app.close());

  it("signs in, and the same Bitbucket account is the same user next time", async () => {
    const first = (await (await app.get("/me", await app.login())).json()) as { userId: string };
    const second = (await (await app.get("/me", await app.login())).json()) as { userId: string };
    expect(first.userId).toEqual(expect.any(String));
    expect(second.userId).toBe(first.userId);
  });

  it("turns a denied login into ACCESS_DENIED (403) as JSON", async () => {
    app.fake.setDecision("deny");
    try {
      await expect(app.login()).rejects.toThrow("the login ended with 403");
    } finally {
      app.fake.setDecision("auto");
    }
  });
});
