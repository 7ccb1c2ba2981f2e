import { afterAll, beforeAll, describe, expect, it } from "@jest/globals";
import cookieParser from "cookie-parser";
import express from "express";
import request from "supertest";
import { bitbucketRouter, checkBitbucketAccess, type BitbucketRouterOptions } from "../../src/index.js";
import { openDatabase, type AppDatabase } from "../../example-server/database.js";
import { createAuth, type AppAuth } from "../../example-server/lucia.js";

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
    [
      "a publicPath with a trailing slash",
      { ...valid, publicPath: "/app/" },
      /option "publicPath" must be a path such as "\/app" \(no trailing "\/"\), or ""/,
    ],
    [
      "a publicPath that is a URL",
      { ...valid, publicPath: "https://x/app" },
      /option "publicPath" must be a path/,
    ],
    [
      "a publicPath that redirectUri does not start with",
      { ...valid, publicPath: "/app" },
      /option "redirectUri" \(path "\/login\/bitbucket\/callback"\) does not start with publicPath "\/app"/,
    ],
    [
      "a publicPath that reaches into the callback path",
      { ...valid, redirectUri: "http://app.test/login/bitbucket/callback", publicPath: "/login" },
      /option "publicPath" \("\/login"\) overlaps the callback path "\/login\/bitbucket\/callback"/,
    ],
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

// Every message names the option and says what it takes, in full: people fix their config from it.
describe("each option's error says what the option takes", () => {
  const PATH = 'must be a path starting with "/".';
  const TARGET = "must be a path or an absolute http(s) URL.";
  const SECRET = 'option "cookieSecret" must be a non-empty string or array of strings.';
  const COOKIE_NAME =
    'option "stateCookieName" must be a valid cookie name (without a "__Host-" or "__Secure-" prefix, which is added on https).';
  const OR_FALSE = 'must be false or a path starting with "/".';
  it.each<[string, unknown, string]>([
    ["null options", null, "options must be an object with clientId, clientSecret and redirectUri."],
    [
      "options that are a string",
      "id",
      "options must be an object with clientId, clientSecret and redirectUri.",
    ],
    [
      "a blank clientId",
      { ...valid, clientId: "   " },
      'option "clientId" is required (a non-empty string).',
    ],
    [
      "a redirectUri with a #fragment",
      { ...valid, redirectUri: "http://localhost:3000/login/bitbucket/callback#x" },
      'option "redirectUri" must not have a #fragment.',
    ],
    ["a loginPath with a leading segment", { ...valid, loginPath: "x/login" }, `option "loginPath" ${PATH}`],
    ["a loginPath with a space", { ...valid, loginPath: "/log in" }, `option "loginPath" ${PATH}`],
    [
      "a protocol-relative loginPath",
      { ...valid, loginPath: "//evil.example" },
      `option "loginPath" ${PATH}`,
    ],
    ["a callbackPath without a slash", { ...valid, callbackPath: "cb" }, `option "callbackPath" ${PATH}`],
    [
      "a redirectUri on another path",
      { ...valid, redirectUri: "http://localhost/auth/cb" },
      'option "redirectUri" (path "/auth/cb") does not end with the callback path "/login/bitbucket/callback"; ' +
        "Bitbucket would send people to a route the router does not mount. Set callbackPath to match.",
    ],
    [
      "a loginPath equal to callbackPath",
      { ...valid, loginPath: "/login/bitbucket/callback" },
      'options "loginPath" and "callbackPath" must differ.',
    ],
    [
      "a linkPath equal to callbackPath",
      { ...valid, linkPath: "/login/bitbucket/callback" },
      'option "linkPath" must differ from "loginPath" and "callbackPath".',
    ],
    ["a linkPath that is not a path", { ...valid, linkPath: "link" }, `option "linkPath" ${OR_FALSE}`],
    ["a numeric cookieSecret", { ...valid, cookieSecret: 5 }, SECRET],
    ["an empty cookieSecret", { ...valid, cookieSecret: "" }, SECRET],
    ["a cookieSecret list with an empty entry", { ...valid, cookieSecret: ["a", ""] }, SECRET],
    ["a cookieSecret list with a number", { ...valid, cookieSecret: ["a", 5] }, SECRET],
    // Not a string, though it has a length: only strings sign cookies.
    ["a cookieSecret list with a nested list", { ...valid, cookieSecret: [["a"]] }, SECRET],
    [
      "a logoutPath that is not a path",
      { ...valid, logoutPath: "logout" },
      `option "logoutPath" ${OR_FALSE}`,
    ],
    ["a logoutPath of true", { ...valid, logoutPath: true }, `option "logoutPath" ${OR_FALSE}`],
    ["a cookie name with a space", { ...valid, stateCookieName: "a b" }, COOKIE_NAME],
    ["a cookie name starting with ';'", { ...valid, stateCookieName: ";x" }, COOKIE_NAME],
    ["a cookie name ending with ';'", { ...valid, stateCookieName: "x;" }, COOKIE_NAME],
    [
      "a javascript: successRedirect",
      { ...valid, successRedirect: "javascript:alert(1)" },
      `option "successRedirect" ${TARGET}`,
    ],
    [
      "a successRedirect with a URL inside",
      { ...valid, successRedirect: "evil:https://x.example" },
      `option "successRedirect" ${TARGET}`,
    ],
    [
      "a successRedirect URL with a space",
      { ...valid, successRedirect: "https://a.example/ b" },
      `option "successRedirect" ${TARGET}`,
    ],
    ["a numeric successRedirect", { ...valid, successRedirect: 5 }, `option "successRedirect" ${TARGET}`],
    [
      "a javascript: failureRedirect",
      { ...valid, failureRedirect: "javascript:x" },
      `option "failureRedirect" ${TARGET}`,
    ],
    [
      "a javascript: logoutRedirect",
      { ...valid, logoutRedirect: "javascript:x" },
      `option "logoutRedirect" ${TARGET}`,
    ],
    [
      "a fetchEmail that is a string",
      { ...valid, fetchEmail: "yes" },
      'option "fetchEmail" must be a boolean.',
    ],
    [
      "allow that is null",
      { ...valid, allow: null },
      'option "allow" must be an object such as { workspaces: ["my-workspace"] }.',
    ],
    [
      "allow that is a string",
      { ...valid, allow: "acme" },
      'option "allow" must be an object such as { workspaces: ["my-workspace"] }.',
    ],
    [
      "an unknown allow key with no near match",
      { ...valid, allow: { frobnicate: [] } },
      'unknown option "allow.frobnicate".',
    ],
    [
      "a {uuid} with a tail",
      { ...valid, allow: { workspaces: ["{5b7e2a10-3c4d-4e5f-8a6b-7c8d9e0f1a2b}x"] } },
      'option "allow.workspaces" must hold workspace slugs or {uuid}s (never display names), e.g. "acme"; got "{5b7e2a10-3c4d-4e5f-8a6b-7c8d9e0f1a2b}x".',
    ],
    [
      "a {uuid} with a head",
      { ...valid, allow: { workspaces: ["x{5b7e2a10-3c4d-4e5f-8a6b-7c8d9e0f1a2b}"] } },
      'option "allow.workspaces" must hold workspace slugs or {uuid}s (never display names), e.g. "acme"; got "x{5b7e2a10-3c4d-4e5f-8a6b-7c8d9e0f1a2b}".',
    ],
    [
      "a repository slug with a space",
      { ...valid, allow: { repositories: ["acme/ab cd"] } },
      'option "allow.repositories" must hold "workspace/repo_slug" entries, e.g. "acme/handbook"; got "acme/ab cd".',
    ],
  ])("%s", (_name, options, message) => {
    expect(build(options as Record<string, unknown>)).toThrow(new TypeError(`bitbucketRouter: ${message}`));
  });

  it.each<[string, Record<string, unknown>]>([
    ["the longest stateMaxAge, an hour", { stateMaxAge: 3_600_000 }],
    ["the longest timeout, two minutes", { timeout: 120_000 }],
    ["logoutPath false", { logoutPath: false }],
    ["a logoutPath", { logoutPath: "/logout" }],
    ["linkPath false", { linkPath: false }],
    ["an absolute http successRedirect", { successRedirect: "http://app.example/done" }],
    ["a successRedirect with a query and fragment", { successRedirect: "/done?x=1#y" }],
    ["a failureRedirect URL", { failureRedirect: "https://app.example/login?from=bb" }],
    ["a cookieSecret string", { cookieSecret: "s" }],
    ["a cookieSecret list", { cookieSecret: ["new", "old"] }],
    ["fetchEmail", { fetchEmail: true }],
    ["a slug that ends like a uuid", { allow: { workspaces: ["x5b7e2a10-3c4d-4e5f-8a6b-7c8d9e0f1a2b"] } }],
    ["a slug that starts like a uuid", { allow: { workspaces: ["5b7e2a10-3c4d-4e5f-8a6b-7c8d9e0f1a2bx"] } }],
  ])("accepts %s", (_name, extra) => {
    expect(typeof build({ ...valid, ...extra })()).toBe("function");
  });
});

describe("the state cookie's Path is the routes' common prefix on http", () => {
  const startLogin = async (options: Record<string, unknown>, path: string, mount = "/") => {
    const app = express()
      .use(cookieParser("secret"))
      .use(
        mount,
        bitbucketRouter(auth, { ...valid, ...options } as unknown as BitbucketRouterOptions<AppAuth>),
      );
    const res = await request(app).get(mount === "/" ? path : mount + path);
    expect(res.status).toBe(302);
    const cookies = res.headers["set-cookie"] as unknown as string[];
    expect(cookies).toHaveLength(1);
    return cookies[0] ?? "";
  };

  it.each<[string, Record<string, unknown>, string, string]>([
    ["the default routes", {}, "/login/bitbucket", "/login/bitbucket"],
    [
      "routes sharing only /auth",
      {
        redirectUri: "http://localhost/auth/callback",
        loginPath: "/auth/start",
        callbackPath: "/auth/callback",
        linkPath: false,
      },
      "/auth/start",
      "/auth",
    ],
    [
      "a linkPath outside them",
      {
        redirectUri: "http://localhost/auth/callback",
        loginPath: "/auth/start",
        callbackPath: "/auth/callback",
        linkPath: "/link",
      },
      "/auth/start",
      "/",
    ],
    [
      "a login route that is a prefix of the others",
      {
        redirectUri: "http://localhost/auth/callback",
        loginPath: "/auth",
        callbackPath: "/auth/callback",
        linkPath: "/auth/link",
      },
      "/auth",
      "/auth",
    ],
    [
      "a mount prefix",
      { redirectUri: "http://localhost/app/login/bitbucket/callback" },
      "/login/bitbucket",
      "/app/login/bitbucket",
    ],
  ])("%s", async (_name, options, loginPath, cookiePath) => {
    // Mounted where redirectUri's path says: under its prefix, if it has one.
    const mount = new URL(String(options.redirectUri ?? valid.redirectUri)).pathname.startsWith("/app/")
      ? "/app"
      : "/";
    const line = await startLogin(options, loginPath, mount);
    expect(line).toMatch(/^bitbucket_oauth_state\.[\w-]{10}=s%3A/);
    expect(line).toContain(`; Path=${cookiePath};`);
  });

  it("uses a custom stateCookieName as the stem", async () => {
    const line = await startLogin({ stateCookieName: "my_state" }, "/login/bitbucket");
    expect(line).toMatch(/^my_state\.[\w-]{10}=s%3A/);
  });
});
