// bitbucketForwardAuth checks its options once, at construction, naming the one at fault.
import { describe, expect, it } from "@jest/globals";
import { lucia } from "lucia";
import { bitbucketForwardAuth, memoryTokenStore } from "../../../src/index.js";

const auth = lucia({ adapter: () => ({}) as never, env: "DEV" });
const base = {
  allow: { workspaces: ["acme"] },
  clientId: "id",
  clientSecret: "secret",
  tokens: memoryTokenStore(),
  loginUrl: "https://auth.example.com/login/bitbucket",
};
const make = (options: Record<string, unknown>) => () => bitbucketForwardAuth(auth, options as never);

describe("bitbucketForwardAuth's options", () => {
  it("builds with a path or an https loginUrl, named rules, and returnToHosts", () => {
    expect(typeof make({ ...base, rules: { docs: { workspaces: ["acme"] } } })()).toBe("function");
    expect(typeof make({ ...base, loginUrl: "/_auth/login/bitbucket" })()).toBe("function");
    expect(typeof make({ ...base, loginUrl: "http://localhost:3000/login/bitbucket" })()).toBe("function");
    expect(typeof make({ ...base, returnToHosts: ["*.example.com"] })()).toBe("function");
    expect(
      typeof make({
        ...base,
        serverUrl: "https://git.example.com",
        allow: { projects: ["ENG"] },
        rules: { ops: { projects: ["OPS"], permission: "admin" } },
      })(),
    ).toBe("function");
  });

  it.each([
    [{ loginUrl: undefined }, 'option "loginUrl" is required'],
    [{ loginUrl: "http://auth.example.com/login/bitbucket" }, 'option "loginUrl"'],
    [{ loginUrl: "https://auth.example.com/login/bitbucket?next=1" }, 'option "loginUrl"'],
    [{ loginUrl: "https://user@auth.example.com/login" }, 'option "loginUrl"'],
    [{ loginUrl: "//evil.test/login" }, 'option "loginUrl"'],
    [{ loginUrl: "javascript:alert(1)" }, 'option "loginUrl"'],
    [{ loginUrl: "ftp://localhost/login" }, 'option "loginUrl"'],
    [{ loginUrl: "ws://127.0.0.1:3000/login" }, 'option "loginUrl"'],
    [{ rules: "docs" }, 'option "rules" must be an object'],
    [{ rules: [] }, 'option "rules" must be an object'],
    [{ rules: null }, 'option "rules" must be an object'],
    [{ rules: { Ops: { workspaces: ["acme"] } } }, '"Ops" is not a rule name'],
    [{ rules: { "a/b": { workspaces: ["acme"] } } }, '"a/b" is not a rule name'],
    [{ rules: { ops: { workspaces: ["acme"], role: "admin" } } }, 'option "rules.ops"'],
    [{ rules: { ops: { projects: ["OPS"] } } }, 'option "rules.ops"'],
    [{ rules: { ops: undefined } }, 'option "rules.ops"'],
    [{ returnToHosts: ["*.com"] }, 'option "returnToHosts"'],
    [{ rule: {} }, 'Did you mean "rules"?'],
    [{ failureRedirect: "/x" }, "failureRedirect"],
    [{ allow: undefined }, "allow"],
    [{ clientSecret: "" }, 'option "clientSecret" is required'],
  ])("refuses %j", (change, message) => {
    expect(make({ ...base, ...change })).toThrow(TypeError);
    expect(make({ ...base, ...change })).toThrow(message);
    expect(make({ ...base, ...change })).toThrow(/^bitbucketForwardAuth: /);
  });

  it("says what a rule and loginUrl must be, in full", () => {
    expect(make({ ...base, rules: { ops: undefined } })).toThrow(
      'bitbucketForwardAuth: option "rules.ops": option "allow" must be an object such as { workspaces: ["my-workspace"] }.',
    );
    expect(make({ ...base, loginUrl: "ftp://auth.example.com/" })).toThrow(
      'bitbucketForwardAuth: option "loginUrl" is required: the router\'s login route as the browser reaches it, a path such as "/_auth/login/bitbucket" or an https URL such as "https://auth.example.com/login/bitbucket" (no query).',
    );
  });

  it("refuses a missing options object, or one that is not an object", () => {
    expect(make(null as never)).toThrow("bitbucketForwardAuth: options must be an object");
    expect(make("loginUrl" as never)).toThrow("bitbucketForwardAuth: options must be an object");
  });
});
