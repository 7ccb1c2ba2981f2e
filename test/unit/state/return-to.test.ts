import { afterAll, beforeAll, describe, expect, it } from "@jest/globals";
import { login, startHarness, type Harness } from "../../helpers/harness.js";
import { safeReturnTo } from "../../../src/state/return-to.js";

describe("safeReturnTo", () => {
  it.each([
    "/",
    "/dashboard",
    "/a/b?c=d&e=%2F#top",
    "/@user",
    "/%2F%2Fevil.example",
    "/" + "a".repeat(1023),
    "/a b",
    "/a//b//",
  ])("accepts %j", (path) => {
    expect(safeReturnTo(path)).toBe(path);
  });
  it.each([
    "//evil.example",
    "/\\evil.example",
    "\\\\evil.example",
    "https://evil.example/",
    "javascript:alert(1)",
    "evil.example",
    "/\t/evil.example",
    "/\n/evil.example",
    "/ok\u0000",
    "/ok\u007f",
    "/ok\u001f",
    "/a\\b",
    // Only the leading "//" check catches this one: it resolves back onto the probe origin.
    "//return-to.invalid/x",
    "",
    "/" + "a".repeat(1024),
    "/" + "é".repeat(512),
    "/.//evil.example",
    "/a/..//evil.example",
  ])("refuses %j", (path) => {
    expect(safeReturnTo(path)).toBeNull();
  });
  it("refuses non-strings (arrays and objects from the query parser)", () => {
    expect(safeReturnTo(["/a", "/b"])).toBeNull();
    expect(safeReturnTo({ a: "/b" })).toBeNull();
  });
});

/** A whole login started with `?returnTo=target`: the callback's 302, and where it goes. */
async function landing(h: Harness, target: string): Promise<string> {
  const res = await login(h.agent(), `?returnTo=${encodeURIComponent(target)}`);
  expect(res.status).toBe(302);
  return res.headers.location as string;
}

describe("?returnTo through a whole login", () => {
  let h: Harness;
  beforeAll(async () => (h = await startHarness({ router: { successRedirect: "/home" } })));
  // `?.`: when the harness failed to start, its own error is the one to read.
  afterAll(() => h?.close());

  it("lands on a safe returnTo", async () => {
    expect(await landing(h, "/projects/42?tab=pr")).toBe("/projects/42?tab=pr");
  });

  it.each([
    "//evil.example",
    "/\\evil.example",
    "https://evil.example",
    "/\t/evil.example",
    "/.//evil.example",
  ])("ignores the unsafe %j and lands on successRedirect", async (target) => {
    expect(await landing(h, target)).toBe("/home");
  });
});

describe("?returnTo to another host, with returnToHosts", () => {
  let h: Harness;
  beforeAll(
    async () =>
      (h = await startHarness({
        router: { successRedirect: "/home", returnToHosts: ["grafana.example.com", "*.tools.example.com"] },
      })),
  );
  afterAll(() => h?.close());

  it.each(["https://grafana.example.com/d/abc?orgId=1", "https://docs.tools.example.com/"])(
    "lands on %j after the login",
    async (target) => {
      expect(await landing(h, target)).toBe(target);
    },
  );

  it.each([
    "https://evil.example/",
    "https://grafana.example.com@evil.example/",
    "https://grafana.example.com.evil.example/",
    "http://grafana.example.com/",
    "https://tools.example.com/",
  ])("ignores %j and lands on successRedirect", async (target) => {
    expect(await landing(h, target)).toBe("/home");
  });

  it("still lands on a path of this site", async () => {
    expect(await landing(h, "/projects/42")).toBe("/projects/42");
  });
});
