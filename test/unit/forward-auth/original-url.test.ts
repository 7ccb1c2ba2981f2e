// The URL forward-auth sends back to after the login, rebuilt from X-Forwarded-*: headers that a
// browser can forge when it reaches the check directly, so only an allowed host, or a path, ever comes out.
import { describe, expect, it } from "@jest/globals";
import fc from "fast-check";
import { compileReturnHosts, type ReturnHosts } from "../../../src/config/return-hosts.js";
import { originalPath, originalUrl } from "../../../src/forward-auth/original-url.js";

const hosts = compileReturnHosts(["docs.example.com", "*.apps.example.com", "localhost:8080"]) as ReturnHosts;
const forwarded = (proto: unknown, host: unknown, uri: unknown) =>
  Object.fromEntries(
    Object.entries({ "x-forwarded-proto": proto, "x-forwarded-host": host, "x-forwarded-uri": uri }).filter(
      ([, v]) => v !== undefined,
    ),
  ) as Record<string, string>;

// Pieces that mean something to a URL parser, glued in any order, and any string besides.
const piece = fc.oneof(
  fc.string(),
  fc.constantFrom("https", "http", "docs.example.com", "a.apps.example.com", "localhost:8080"),
  fc.constantFrom("/", "//", "\\", "@", ":", ".", "%2e", "?", "#", ","),
);
const glued = fc.array(piece, { maxLength: 5 }).map((parts) => parts.join(""));

describe("the original URL, for a login on another host (absolute loginUrl)", () => {
  it.each([
    ["https", "docs.example.com", "/", "https://docs.example.com/"],
    ["https", "docs.example.com", "/a/b?c=1&d=%2F", "https://docs.example.com/a/b?c=1&d=%2F"],
    ["https", "grafana.apps.example.com", "/d/x", "https://grafana.apps.example.com/d/x"],
    ["http", "localhost:8080", "/x", "http://localhost:8080/x"],
  ])("rebuilds %s://%s%s", (proto, host, uri, href) => {
    expect(originalUrl(forwarded(proto, host, uri), hosts)).toBe(href);
  });

  it.each([
    // hosts that are not on the list, or only look like it
    ["https", "evil.test", "/"],
    ["https", "docs.example.com.evil.test", "/"],
    ["https", "docs.example.com.", "/"],
    ["https", "DOCS.example.com", "/"],
    ["https", "docs%2eexample.com", "/"],
    ["https", "user@docs.example.com", "/"],
    ["https", "docs.example.com@evil.test", "/"],
    ["https", "docs.example.com\\@evil.test", "/"],
    ["https", "docs.example.com:444", "/"],
    ["https", "docs.exаmple.com", "/"], // Cyrillic а
    ["https", "xn--docs-example-com", "/"],
    ["https", "apps.example.com", "/"], // the wildcard's own parent
    ["https", "docs.example.com, evil.test", "/"], // a repeated header, as Node joins it
    ["https", "", "/"],
    // plain http outside loopback, other schemes
    ["http", "docs.example.com", "/"],
    ["javascript", "docs.example.com", "/"],
    ["https, http", "docs.example.com", "/"],
    ["HTTPS", "docs.example.com", "/"],
    // a scheme that would turn the whole into a path ("/:///"), found by fast-check
    ["/", "", "/"],
    ["/", "docs.example.com", "/"],
    ["", "docs.example.com", "/"],
    // URIs that would leave the host, or are not a path
    ["https", "docs.example.com", "//evil.test/"],
    ["https", "docs.example.com", "/\\evil.test/"],
    ["https", "docs.example.com", "/\tx"],
    ["https", "docs.example.com", "https://evil.test/"],
    ["https", "docs.example.com", "@evil.test/"],
    ["https", "docs.example.com", ""],
    ["https", "docs.example.com", `/${"a".repeat(1100)}`],
    // missing headers
    [undefined, "docs.example.com", "/"],
    ["https", undefined, "/"],
    ["https", "docs.example.com", undefined],
  ])("refuses %j %j %j", (proto, host, uri) => {
    expect(originalUrl(forwarded(proto, host, uri), hosts)).toBeNull();
  });

  it("never reads a missing host as a host named null, nor joins the host and a URI that is not a path", () => {
    const odd = compileReturnHosts(["null", "*.apps.example.com"]) as ReturnHosts;
    expect(originalUrl(forwarded("https", undefined, "/"), odd)).toBeNull();
    // Nor a missing URI as the path "null" after a host that brings its own "/".
    expect(originalUrl(forwarded("https", "x.apps.example.com/", undefined), odd)).toBeNull();
    expect(originalUrl(forwarded("https", "x", ".apps.example.com/"), odd)).toBeNull();
    expect(originalUrl(forwarded("https", "x.apps.example.com", "/"), odd)).toBe(
      "https://x.apps.example.com/",
    );
  });

  it("never yields anything but an allowed https URL, whatever the headers say", () => {
    fc.assert(
      fc.property(glued, glued, glued, (proto, host, uri) => {
        const out = originalUrl(forwarded(proto, host, uri), hosts);
        if (out === null) return;
        const url = new URL(out);
        expect(
          ["docs.example.com", "localhost"].includes(url.hostname) ||
            url.hostname.endsWith(".apps.example.com"),
        ).toBe(true);
        expect(url.protocol === "https:" || url.hostname === "localhost").toBe(true);
      }),
      { numRuns: 2000 },
    );
  });
});

describe("the original path, for a login on the protected host itself (path loginUrl)", () => {
  it("keeps the path only: no header can name another host", () => {
    expect(originalPath(forwarded("https", "evil.test", "/a?b=1"))).toBe("/a?b=1");
    expect(originalPath(forwarded(undefined, undefined, "/a"))).toBe("/a");
    expect(originalPath(forwarded(undefined, undefined, undefined))).toBeNull();
  });

  it.each(["//evil.test/", "/\\evil.test", "https://evil.test/", "", "/a\nb", "/.//evil.test"])(
    "refuses %j",
    (uri) => {
      expect(originalPath(forwarded("https", "docs.example.com", uri))).toBeNull();
    },
  );
});
