import { afterAll, beforeAll, describe, expect, it } from "@jest/globals";
import express from "express";
import request from "supertest";
import { bitbucketRouter, checkBitbucketAccess, type BitbucketRouterOptions } from "../src/index.js";
import { openDatabase, type AppDatabase } from "../example-server/database.js";
import { createAuth, type AppAuth } from "../example-server/lucia.js";

let auth: AppAuth;
let db: AppDatabase;
beforeAll(async () => {
  db = await openDatabase({});
  auth = createAuth(db.adapter, "DEV");
});
afterAll(() => db.close());
const valid = {
  clientId: "id",
  clientSecret: "secret",
  redirectUri: "http://localhost:3000/login/bitbucket/callback",
};
const build = (options: Record<string, unknown>) => () =>
  bitbucketRouter(auth, options as unknown as BitbucketRouterOptions<AppAuth>);

describe("bitbucketRouter() checks its options once, at construction", () => {
  it("builds a router from the three required options", () => {
    expect(typeof build(valid)()).toBe("function");
  });

  it.each([
    ["a missing clientId", { ...valid, clientId: undefined }, /"clientId" is required/],
    ["an empty clientSecret", { ...valid, clientSecret: "" }, /"clientSecret" is required/],
    [
      "a relative redirectUri",
      { ...valid, redirectUri: "/login/bitbucket/callback" },
      /"redirectUri" must be an absolute URL/,
    ],
    ["a non-http redirectUri", { ...valid, redirectUri: "ftp://x/login/bitbucket/callback" }, /http\(s\)/],
    [
      "a callback path that does not match",
      { ...valid, redirectUri: "http://localhost/auth/cb" },
      /does not end with the callback path/,
    ],
    [
      "an unknown option, with a suggestion",
      { ...valid, sucessRedirect: "/" },
      /unknown option "sucessRedirect". Did you mean "successRedirect"\?/,
    ],
    ["an unknown option without a near match", { ...valid, frobnicate: 1 }, /unknown option "frobnicate"\.$/],
    ["a hook that is not a function", { ...valid, onSuccess: "yes" }, /"onSuccess" must be a function/],
    ["a zero timeout", { ...valid, timeout: 0 }, /"timeout" must be/],
    [
      "a timeout in seconds by mistake",
      { ...valid, timeout: 10 },
      /"timeout" must be a whole number of milliseconds \(not seconds\), from 1000/,
    ],
    [
      "a state max age in seconds by mistake (600)",
      { ...valid, stateMaxAge: 600 },
      /"stateMaxAge" must be a whole number of milliseconds \(not seconds\), from 1000 to 3600000/,
    ],
    ["the removed linkAccounts", { ...valid, linkAccounts: false }, /"linkAccounts" was removed in 0\.2/],
    ["a linkPath without a slash", { ...valid, linkPath: "link" }, /"linkPath" must be false or a path/],
    ["a linkPath equal to loginPath", { ...valid, linkPath: "/login/bitbucket" }, /"linkPath" must differ/],
    [
      "a cookie name with a prefix of its own",
      { ...valid, stateCookieName: "__Host-x" },
      /"stateCookieName" must be a valid cookie name \(without/,
    ],
    [
      "an authorize hook that is not a function",
      { ...valid, authorize: true },
      /"authorize" must be a function/,
    ],
    ["allow that is not an object", { ...valid, allow: ["acme"] }, /option "allow" must be an object/],
    [
      "allow with no rule",
      { ...valid, allow: {} },
      /option "allow" must name "workspaces" or "repositories"/,
    ],
    [
      "an unknown allow key, with a suggestion",
      { ...valid, allow: { workspace: ["acme"] } },
      /unknown option "allow.workspace". Did you mean "allow.workspaces"\?/,
    ],
    [
      "an empty workspace list",
      { ...valid, allow: { workspaces: [] } },
      /"allow.workspaces" must be a non-empty array/,
    ],
    [
      "a workspace display name",
      { ...valid, allow: { workspaces: ["Fake Team"] } },
      /"allow.workspaces" must hold workspace slugs or \{uuid\}s \(never display names\).*got "Fake Team"/,
    ],
    [
      "a uuid without braces",
      { ...valid, allow: { workspaces: ["5b7e2a10-3c4d-4e5f-8a6b-7c8d9e0f1a2b"] } },
      /"allow.workspaces" must hold/,
    ],
    [
      "an unknown role",
      { ...valid, allow: { workspaces: ["acme"], role: "admin" } },
      /"allow.role" must be "member", "collaborator" or "owner"/,
    ],
    [
      "a role without workspaces",
      { ...valid, allow: { repositories: ["acme/x"], role: "owner" } },
      /"allow.role" needs "allow.workspaces"/,
    ],
    [
      "a repository without its workspace",
      { ...valid, allow: { repositories: ["handbook"] } },
      /"allow.repositories" must hold "workspace\/repo_slug" entries/,
    ],
    [
      "a repository with a path",
      { ...valid, allow: { repositories: ["acme/x/y"] } },
      /"allow.repositories" must hold/,
    ],
    ["a state max age over an hour", { ...valid, stateMaxAge: 7_200_000 }, /"stateMaxAge" must be/],
    ["a loginPath without a slash", { ...valid, loginPath: "login" }, /"loginPath" must be/],
    ["an empty cookieSecret list", { ...valid, cookieSecret: [] }, /"cookieSecret" must be/],
  ])("throws a TypeError naming the option for %s", (_name, options, message) => {
    expect(build(options)).toThrow(TypeError);
    expect(build(options)).toThrow(message);
  });

  it("accepts a mount prefix when callbackPath matches the end of redirectUri", () => {
    expect(
      typeof build({ ...valid, redirectUri: "https://app.example/auth/login/bitbucket/callback" })(),
    ).toBe("function");
    expect(
      typeof build({ ...valid, redirectUri: "https://app.example/oauth/cb", callbackPath: "/oauth/cb" })(),
    ).toBe("function");
  });

  it("accepts every allow rule together, by slug and by {uuid}", () => {
    const allow = {
      workspaces: ["acme", "{5b7e2a10-3c4d-4e5f-8a6b-7c8d9e0f1a2b}"],
      role: "owner",
      repositories: ["acme/handbook", "{5b7e2a10-3c4d-4e5f-8a6b-7c8d9e0f1a2b}/ops.v2"],
    };
    expect(typeof build({ ...valid, allow })()).toBe("function");
  });

  it("says how to fix app.use(bitbucketRouter) without the call", async () => {
    const app = express().use(bitbucketRouter as never);
    app.use(
      ((err, _req, res, _next) =>
        void res.status(500).send((err as Error).message)) as express.ErrorRequestHandler,
    );
    const res = await request(app).get("/");
    expect(res.text).toBe(
      "bitbucketRouter was mounted without being called: use app.use(bitbucketRouter(auth, options)), not app.use(bitbucketRouter).",
    );
  });

  it("checkBitbucketAccess checks its arguments the same way", async () => {
    await expect(checkBitbucketAccess({ accessToken: "", allow: { workspaces: ["acme"] } })).rejects.toThrow(
      /checkBitbucketAccess: "accessToken" is required/,
    );
    await expect(
      checkBitbucketAccess({ accessToken: "t", allow: { workspaces: ["Fake Team"] } }),
    ).rejects.toThrow(/checkBitbucketAccess: option "allow.workspaces" must hold/);
    await expect(
      checkBitbucketAccess({ accessToken: "t", allow: { workspaces: ["acme"] }, timeout: 5 }),
    ).rejects.toThrow(/"timeout" must be a whole number of milliseconds, at least 1000/);
  });

  it("refuses something that is not a Lucia instance", () => {
    expect(() => bitbucketRouter({} as AppAuth, valid)).toThrow(/Lucia 2 instance/);
  });

  it("never puts the secret in a construction error", () => {
    // clientSecret is valid here and the failure is elsewhere (a later option), so the check is
    // about the message, not about which option failed first.
    for (const bad of [{ timeout: 5 }, { allow: { workspaces: ["x y"] } }, { loginPath: "nope" }]) {
      const thrown = (() => {
        try {
          build({ ...valid, clientSecret: "super-secret-value", ...bad })();
        } catch (err) {
          return (err as Error).message;
        }
        return "";
      })();
      expect(thrown).toMatch(/^bitbucketRouter: /);
      expect(thrown).not.toContain("super-secret-value");
    }
  });
});
