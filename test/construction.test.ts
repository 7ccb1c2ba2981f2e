import { beforeAll, describe, expect, it } from "@jest/globals";
import { bitbucketRouter, type BitbucketRouterOptions } from "../src/index.js";
import { openDatabase } from "../example-server/database.js";
import { createAuth, type AppAuth } from "../example-server/lucia.js";

let auth: AppAuth;
beforeAll(async () => {
  auth = createAuth((await openDatabase({})).adapter, "DEV");
});
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

  it("refuses something that is not a Lucia instance", () => {
    expect(() => bitbucketRouter({} as AppAuth, valid)).toThrow(/Lucia 2 instance/);
  });

  it("never puts the secret in a construction error", () => {
    expect(
      build({ ...valid, secret: "super-secret-value", clientSecret: "super-secret-value", sucess: 1 }),
    ).toThrow(/^(?!.*super-secret-value)/);
  });
});
