import { afterAll, beforeAll, describe, expect, it } from "@jest/globals";
import { format } from "node:util";
import createDebug from "debug";
import { approvedCallback, startHarness, type Harness } from "./helpers/harness.js";

describe("DEBUG=express-lucia-bitbucket*", () => {
  const lines: string[] = [];
  let h: Harness;
  let tokens = "";
  beforeAll(async () => {
    createDebug.enable("express-lucia-bitbucket*");
    createDebug.log = (...args: unknown[]) => void lines.push(format(...args));
    h = await startHarness({
      router: { onSuccess: ({ bitbucketTokens: t }) => void (tokens = `${t.accessToken}|${t.refreshToken}`) },
    });
  });
  afterAll(async () => {
    createDebug.disable();
    await h.close();
  });

  it("shows each step of a login, without secrets, codes or tokens", async () => {
    const agent = h.agent();
    const callback = new URL(await approvedCallback(agent), "http://x");
    expect((await agent.get(callback.pathname + callback.search)).status).toBe(302);
    expect(lines.join("\n")).toMatch(
      /login: redirecting[\s\S]*state checked[\s\S]*created a new user[\s\S]*signed in/,
    );
    const all = lines.join("\n");
    const [access, refresh] = tokens.split("|");
    for (const secret of ["fake-client-secret", callback.searchParams.get("code"), access, refresh]) {
      expect(secret).toBeTruthy();
      expect(all).not.toContain(secret);
    }
  });
});
