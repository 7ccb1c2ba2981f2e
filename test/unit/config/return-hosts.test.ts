// `returnToHosts`: an absolute `?returnTo` on a host of the allowlist, by an exact grammar, and
// every hostile look-alike refused. The entries themselves are checked once, at construction.
import { describe, expect, it } from "@jest/globals";
import fc from "fast-check";
import { compileReturnHosts, isReturnHost, type ReturnHosts } from "../../../src/config/return-hosts.js";
import { safeReturnTo } from "../../../src/state/return-to.js";
import { bitbucketRouter } from "../../../src/index.js";
import { lucia } from "lucia";

const compiled = (entries: readonly string[]): ReturnHosts => {
  const hosts = compileReturnHosts(entries);
  if (typeof hosts === "string") throw new Error(hosts);
  return hosts;
};
const HOSTS = compiled([
  "grafana.example.com",
  "*.tools.example.com",
  "ci.example.com:8443",
  "localhost:3000",
  "[::1]",
]);

describe("an absolute returnTo with returnToHosts", () => {
  it.each([
    ["https://grafana.example.com", "https://grafana.example.com/"],
    ["https://grafana.example.com/d/abc?orgId=1#panel", "https://grafana.example.com/d/abc?orgId=1#panel"],
    ["https://grafana.example.com?x=1", "https://grafana.example.com/?x=1"],
    ["https://docs.tools.example.com/a", "https://docs.tools.example.com/a"],
    ["https://a.b.tools.example.com/", "https://a.b.tools.example.com/"],
    ["https://ci.example.com:8443/job/x", "https://ci.example.com:8443/job/x"],
    ["http://localhost:3000/", "http://localhost:3000/"],
    ["https://localhost:3000/", "https://localhost:3000/"],
    ["http://[::1]/x", "http://[::1]/x"],
  ])("accepts %j as %j", (value, href) => {
    expect(safeReturnTo(value, HOSTS)).toBe(href);
  });

  it.each([
    // not on the list, or on it only by look
    "https://evil.example/",
    "https://grafana.example.com.evil.example/",
    "https://evilgrafana.example.com/",
    "https://tools.example.com/", // a wildcard is not its own suffix
    "https://xtools.example.com/",
    "https://grafana.exаmple.com/", // Cyrillic "а"
    "https://xn--grafana-9za.example.com/",
    // userinfo, in every spelling
    "https://grafana.example.com@evil.example/",
    "https://user:pass@grafana.example.com/",
    "https://grafana.example.com:@evil.example/",
    "https://evil.example#@grafana.example.com/",
    "https://evil.example?@grafana.example.com/",
    // backslashes, encodings, case, dots and whitespace in the host
    "https://grafana.example.com\\@evil.example/",
    "https:\\\\grafana.example.com/",
    "https://grafana%2eexample.com/",
    "https://grafana.example.com%2f@evil.example/",
    "https://GRAFANA.example.com/",
    "HTTPS://grafana.example.com/",
    "https://grafana.example.com./",
    "https://grafana..example.com/",
    "https://.grafana.example.com/",
    "https://grafana.example.com /",
    "https://gra\tfana.example.com/",
    "https://grafana.example.com/\n",
    // ports: only the one an entry names, and never the default spelled out
    "https://grafana.example.com:443/",
    "https://grafana.example.com:8443/",
    "https://ci.example.com/",
    "https://ci.example.com:08443/",
    "https://ci.example.com:99999/",
    "http://localhost/",
    // schemes and shapes
    "http://grafana.example.com/", // https only, but on loopback
    "//grafana.example.com/",
    "https:/grafana.example.com/",
    "https:grafana.example.com",
    "ftp://grafana.example.com/",
    "javascript://grafana.example.com/%0Aalert(1)",
    "grafana.example.com/",
    "https://grafana.example.com/" + "a".repeat(1024),
  ])("refuses %j", (value) => {
    expect(safeReturnTo(value, HOSTS)).toBeNull();
  });

  it("tries every wildcard, not only the first", () => {
    const two = compiled(["*.a.example.com", "*.b.example.com"]);
    expect(safeReturnTo("https://x.b.example.com/", two)).toBe("https://x.b.example.com/");
    expect(safeReturnTo("https://x.c.example.com/", two)).toBeNull();
  });

  it("refuses what the URL parser reads as another host or port than the grammar did", () => {
    // "127.1" is an IPv4 shorthand: the parser reads 127.0.0.1. ":80" is http's default: it drops it.
    expect(safeReturnTo("https://127.1/", compiled(["127.1"]))).toBeNull();
    expect(safeReturnTo("http://localhost:80/", compiled(["localhost:80"]))).toBeNull();
    expect(safeReturnTo("https://localhost:80/", compiled(["localhost:80"]))).toBe("https://localhost:80/");
  });

  it("takes plain http on each loopback name, and on no other", () => {
    const local = compiled(["localhost:3000", "127.0.0.1:3000", "[::1]:3000", "app.test:3000"]);
    for (const host of ["localhost:3000", "127.0.0.1:3000", "[::1]:3000"])
      expect(safeReturnTo(`http://${host}/`, local)).toBe(`http://${host}/`);
    expect(safeReturnTo("http://app.test:3000/", local)).toBeNull();
  });

  it("refuses every absolute URL without returnToHosts, and still takes paths", () => {
    expect(safeReturnTo("https://grafana.example.com/")).toBeNull();
    expect(safeReturnTo("/dashboard", HOSTS)).toBe("/dashboard");
    expect(safeReturnTo("//evil.example", HOSTS)).toBeNull();
  });
});

describe("an absolute returnTo, fuzzed", () => {
  const ALLOWED = (url: URL) =>
    (url.protocol === "https:" || ["localhost", "[::1]"].includes(url.hostname)) &&
    (["grafana.example.com", "ci.example.com:8443", "localhost:3000", "[::1]"].includes(url.host) ||
      (url.hostname.endsWith(".tools.example.com") && url.port === ""));

  it("never answers a URL off the list, whatever the pieces", () => {
    const piece = fc.constantFrom(
      ..."https:// http:// grafana.example.com tools.example.com ci.example.com evil.example @ : :8443 :443 . .. / \\ # ? %2e %40 \t \n  \u0430 [::1] localhost xn-- - 0".split(
        " ",
      ),
    );
    fc.assert(
      fc.property(fc.array(piece, { maxLength: 8 }), (pieces) => {
        const value = pieces.join("");
        const answer = safeReturnTo(value, HOSTS);
        if (answer === null || answer.startsWith("/")) return;
        expect(ALLOWED(new URL(answer))).toBe(true);
      }),
      { numRuns: 3000, seed: 20261207 },
    );
  });
});

describe("returnToHosts entries", () => {
  it("compile to exact hosts and wildcards, each with its port", () => {
    expect(compiled(["a.example.com", "*.example.org:8443", "127.0.0.1:3000"])).toEqual({
      exact: new Set(["a.example.com", "127.0.0.1:3000"]),
      wildcards: [{ suffix: ".example.org", port: "8443" }],
    });
    expect(isReturnHost(compiled(["*.example.org:8443"]), "x.example.org", "8443")).toBe(true);
    expect(isReturnHost(compiled(["*.example.org:8443"]), "x.example.org", "")).toBe(false);
    expect(isReturnHost(compiled(["*.example.org"]), "example.org", "")).toBe(false);
  });

  it.each([
    ["Grafana.example.com", 'not a lowercase host name, "*.name" or either with ":port"'],
    ["https://grafana.example.com", "not a lowercase host name"],
    ["grafana.example.com/", "not a lowercase host name"],
    ["grafana.example.com.", "not a lowercase host name"],
    ["*", "not a lowercase host name"],
    ["*.*.example.com", "not a lowercase host name"],
    ["a.*.example.com", "not a lowercase host name"],
    ["", "not a lowercase host name"],
    ["user@grafana.example.com", "not a lowercase host name"],
    ["grafana.example.com:0", "not a lowercase host name"],
    ["grafana.example.com:70000", "has a port above 65535"],
    ["*.com", 'would admit every host under "com"'],
  ])("refuse %j at construction", (entry, reason) => {
    const result = compileReturnHosts([entry]);
    expect(typeof result).toBe("string");
    expect(result).toContain(reason);
  });

  it("are checked by the router's factory, which names the option", () => {
    // Construction reads no database: an adapter that is never called will do.
    const auth = lucia({ adapter: () => ({}) as never, env: "DEV" });
    const base = {
      clientId: "id",
      clientSecret: "secret",
      redirectUri: "http://localhost/login/bitbucket/callback",
    };
    expect(() => bitbucketRouter(auth, { ...base, returnToHosts: ["*.com"] })).toThrow(
      new TypeError('bitbucketRouter: option "returnToHosts": "*.com" would admit every host under "com".'),
    );
    for (const returnToHosts of [[], "grafana.example.com", [42]])
      expect(() => bitbucketRouter(auth, { ...base, returnToHosts } as never)).toThrow(
        /^bitbucketRouter: option "returnToHosts"/,
      );
    expect(() => bitbucketRouter(auth, { ...base, returnToHosts: ["grafana.example.com"] })).not.toThrow();
  });
});
