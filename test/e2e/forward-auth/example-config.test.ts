// The example server as a forward-auth service: what its environment turns on, and what it refuses
// before it starts.
import { describe, expect, it } from "@jest/globals";
import { loadConfig } from "../../../example-server/config.js";

describe("the example server's forward-auth settings", () => {
  it("is off unless FORWARD_AUTH=1", () => {
    expect(loadConfig({ BITBUCKET_WORKSPACES: "acme" }).forwardAuth).toBeNull();
  });

  it("reads the rules, the hosts and the cookie domain, and logs in on the redirect URI's origin", () => {
    const config = loadConfig({
      FORWARD_AUTH: "1",
      BITBUCKET_WORKSPACES: "acme",
      BITBUCKET_REDIRECT_URI: "https://auth.example.com/login/bitbucket/callback",
      FORWARD_AUTH_RULES: '{"ops":{"workspaces":["acme"],"role":"owner"}}',
      RETURN_TO_HOSTS: "*.example.com, grafana.example.org",
      SESSION_COOKIE_DOMAIN: "example.com",
    });
    expect(config.forwardAuth).toEqual({
      loginUrl: "https://auth.example.com/login/bitbucket",
      rules: { ops: { workspaces: ["acme"], role: "owner" } },
    });
    expect(config.returnToHosts).toEqual(["*.example.com", "grafana.example.org"]);
    expect(config.sessionCookieDomain).toBe("example.com");
    expect(
      loadConfig({ FORWARD_AUTH: "1", BITBUCKET_WORKSPACES: "acme", FORWARD_AUTH_LOGIN_URL: "/x" })
        .forwardAuth?.loginUrl,
    ).toBe("/x");
  });

  it.each([
    [{}, "FORWARD_AUTH=1 needs the rules of who may sign in"],
    [
      { BITBUCKET_WORKSPACES: "acme", FORWARD_AUTH_RULES: "{ops}" },
      "FORWARD_AUTH_RULES must be a JSON object",
    ],
    [{ BITBUCKET_WORKSPACES: "acme", FORWARD_AUTH_RULES: "[]" }, "FORWARD_AUTH_RULES must be a JSON object"],
    [
      { BITBUCKET_WORKSPACES: "acme", FORWARD_AUTH_RULES: "null" },
      "FORWARD_AUTH_RULES must be a JSON object",
    ],
  ])("refuses %j", (env, message) => {
    expect(() => loadConfig({ FORWARD_AUTH: "1", ...env })).toThrow(message);
  });
});
