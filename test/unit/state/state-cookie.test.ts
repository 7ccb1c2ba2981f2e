// The state cookie's own rules, one at a time, on a real Express app that only issues and consumes
// it: which cookie a callback reads, what it accepts in it, and what each refusal is called.
import { describe, expect, it } from "@jest/globals";
import cookieParser from "cookie-parser";
import signature from "cookie-signature";
import express from "express";
import request from "supertest";
import { BitbucketAuthError } from "../../../src/index.js";
import type { BitbucketRouterOptions } from "../../../src/config/options.js";
import { resolveOptions } from "../../../src/config/resolve-options.js";
import { createStateCookie } from "../../../src/state/state-cookie.js";
import { encodePending, sameSecret, sessionTag, stateCookieName } from "../../../src/state/state-value.js";
import { STATE_COOKIE } from "../../helpers/harness.js";

const SECRETS = ["new-secret", "old-secret"];

/** An app with one route that issues a state cookie and one that consumes it. */
const BASE = {
  clientId: "id",
  clientSecret: "secret",
  redirectUri: "http://app.test/login/bitbucket/callback",
};
/** The issuer tag of the apps below (the same options but the secrets). */
const ISSUER = resolveOptions(BASE as BitbucketRouterOptions).stateIssuer;
/** The name of the cookie these apps issue for `state`. */
const stateCookieFor = (state: string) => stateCookieName(STATE_COOKIE, ISSUER, state);

function appWith(
  options: { cookieSecret?: readonly string[]; parserSecret?: string | null; router?: object } = {},
) {
  const resolved = resolveOptions({
    ...BASE,
    ...options.router,
    ...(options.cookieSecret ? { cookieSecret: options.cookieSecret } : {}),
  } as BitbucketRouterOptions);
  const cookie = createStateCookie(resolved);
  const app = express();
  if (options.parserSecret !== undefined)
    app.use(options.parserSecret === null ? cookieParser() : cookieParser(options.parserSecret));
  app.get("/issue", (req, res) => {
    const { state = "", returnTo, link } = req.query as Record<string, string | undefined>;
    cookie.issue(req, res, { state, returnTo: returnTo ?? null, link: link ?? null });
    res.end();
  });
  app.get("/consume", (req, res) => {
    try {
      res.json(cookie.consume(req, res, req.query.state));
    } catch (err) {
      res.status(400).json({ code: (err as BitbucketAuthError).code });
    }
  });
  // The same, answering the refusal's message too.
  app.get("/consume-told", (req, res) => {
    try {
      res.json(cookie.consume(req, res, req.query.state));
    } catch (err) {
      const { code, message } = err as BitbucketAuthError;
      res.status(400).json({ code, message });
    }
  });
  return app;
}

const own = () => appWith({ cookieSecret: SECRETS });
/** A cookie the way the router writes one, signed with `secret`, for the `state` its name is for. */
const crafted = (forState: string, value: string, secret = SECRETS[0] ?? "", prefix = "s:") =>
  `${stateCookieFor(forState)}=${prefix}${signature.sign(value, secret)}`;
const pending = (state: string, issuedAt = Date.now(), returnTo: string | null = null) =>
  encodePending({ state, issuedAt, returnTo, link: null, issuer: ISSUER });

async function consume(app: express.Express, state: string | null, cookie: string) {
  const query = state === null ? "" : `?state=${encodeURIComponent(state)}`;
  return request(app).get(`/consume${query}`).set("Cookie", cookie);
}

describe("the callback reads only a state cookie it issued for this state", () => {
  it("writes state.issuedAt.returnTo.link.issuer.verifier, signed, and gives it back once", async () => {
    const app = own();
    const issued = await request(app).get("/issue?state=abc123&returnTo=/x");
    const line = (issued.headers["set-cookie"] as unknown as string[])[0] ?? "";
    const [pair = ""] = line.split(";");
    const value = decodeURIComponent(pair.slice(pair.indexOf("=") + 1));
    expect(pair.startsWith(`${stateCookieFor("abc123")}=`)).toBe(true);
    // The sixth field, the PKCE verifier, is empty: this router's edition has none.
    expect(value).toMatch(new RegExp(`^s:abc123\\.[0-9a-z]{1,12}\\.L3g\\.\\.${ISSUER}\\.\\.[\\w+/]+$`));

    const res = await consume(app, "abc123", pair);
    expect(res.status).toBe(200);
    expect(res.body).toEqual({
      state: "abc123",
      returnTo: "/x",
      link: null,
      issuedAt: expect.any(Number),
      issuer: ISSUER,
      codeVerifier: null,
    });
  });

  it("leaves returnTo empty when there is none, and reads it back as null", async () => {
    const app = own();
    const issued = await request(app).get("/issue?state=abc123");
    const [pair = ""] = ((issued.headers["set-cookie"] as unknown as string[])[0] ?? "").split(";");
    expect(decodeURIComponent(pair)).toMatch(new RegExp(`=s:abc123\\.[0-9a-z]+\\.\\.\\.${ISSUER}\\.`));
    const res = await consume(app, "abc123", pair);
    expect(res.body).toMatchObject({ returnTo: null, link: null });
  });

  it("accepts a cookie signed with an older secret of the list", async () => {
    const res = await consume(own(), "abc", crafted("abc", pending("abc"), SECRETS[1]));
    expect(res.status).toBe(200);
  });

  it.each<[string, string | null, string, string]>([
    [
      "signed with a secret not in the list",
      "abc",
      crafted("abc", pending("abc"), "other"),
      "STATE_COOKIE_INVALID",
    ],
    [
      "signed, but without the s: marker",
      "abc",
      crafted("abc", pending("abc"), SECRETS[0], "t:"),
      "STATE_COOKIE_INVALID",
    ],
    [
      "for this state, holding another of the same length",
      "abc",
      crafted("abc", pending("abd")),
      "STATE_MISMATCH",
    ],
    ["for this state, holding a longer one", "abc", crafted("abc", pending("abcd")), "STATE_MISMATCH"],
    [
      "holding a state over 256 characters",
      "abc",
      crafted("abc", pending("a".repeat(300))),
      "STATE_COOKIE_INVALID",
    ],
    [
      "with an issue time of 13 digits",
      "abc",
      crafted("abc", `abc.00000${Date.now().toString(36)}...${ISSUER}.`),
      "STATE_COOKIE_INVALID",
    ],
    [
      "with a signed issue time",
      "abc",
      crafted("abc", `abc.+${Date.now().toString(36)}...${ISSUER}.`),
      "STATE_COOKIE_INVALID",
    ],
    [
      "with an issue time and a tail",
      "abc",
      crafted("abc", `abc.${Date.now().toString(36)}!...${ISSUER}.`),
      "STATE_COOKIE_INVALID",
    ],
    ["with an extra segment", "abc", crafted("abc", `${pending("abc")}.x`), "STATE_COOKIE_INVALID"],
    [
      "issued two minutes in the future",
      "abc",
      crafted("abc", pending("abc", Date.now() + 120_000)),
      "STATE_COOKIE_INVALID",
    ],
    [
      "issued eleven minutes ago",
      "abc",
      crafted("abc", pending("abc", Date.now() - 660_000)),
      "STATE_EXPIRED",
    ],
    [
      "with no state in the query, beside one of ours",
      null,
      crafted("abc", pending("abc")),
      "STATE_MISMATCH",
    ],
    [
      "with no state in the query, named like the stem but not of our shape",
      null,
      `${STATE_COOKIE}.=garbage`,
      "STATE_COOKIE_MISSING",
    ],
    [
      "issued by a router with another client",
      "abc",
      crafted(
        "abc",
        encodePending({ state: "abc", issuedAt: Date.now(), returnTo: null, link: null, issuer: "other" }),
      ),
      "STATE_COOKIE_INVALID",
    ],
    ["without its issuer", "abc", crafted("abc", `abc.${Date.now().toString(36)}..`), "STATE_COOKIE_INVALID"],
    [
      "with a 257-character state",
      "a".repeat(257),
      crafted("a".repeat(257), pending("a".repeat(257))),
      "STATE_MISMATCH",
    ],
    [
      "absent, beside a cookie part without '='",
      "abc",
      `${STATE_COOKIE}.zzz; other=1`,
      "STATE_COOKIE_MISSING",
    ],
  ])("refuses a cookie %s", async (_name, state, cookie, code) => {
    const res = await consume(own(), state, cookie);
    expect(res.status).toBe(400);
    expect(res.body).toEqual({ code });
  });

  it("says why a state from another router is refused", async () => {
    const other = encodePending({
      state: "abc",
      issuedAt: Date.now(),
      returnTo: null,
      link: null,
      issuer: "x",
    });
    const res = await request(own()).get("/consume-told?state=abc").set("Cookie", crafted("abc", other));
    expect(res.status).toBe(400);
    expect(res.body).toEqual({
      code: "STATE_COOKIE_INVALID",
      message: "The login state was issued by another router (another client, redirect URI or link setting).",
    });
  });

  it("names another router's cookie for this state, by its mark, as issued by another router", async () => {
    const name = stateCookieName(STATE_COOKIE, "another router's issuer", "abc");
    expect(name).not.toBe(stateCookieFor("abc"));
    const res = await request(own()).get("/consume-told?state=abc").set("Cookie", `${name}=s:whatever`);
    expect(res.body).toEqual({
      code: "STATE_COOKIE_INVALID",
      message: "The login state was issued by another router (another client, redirect URI or link setting).",
    });
  });

  it.each([
    ["a mark one character longer", (tag: string) => `${STATE_COOKIE}.abcde${tag}`],
    ["a mark one character shorter", (tag: string) => `${STATE_COOKIE}.abc${tag}`],
    ["another stem", (tag: string) => `${STATE_COOKIE}x.abcd${tag}`],
  ])("does not take a cookie with %s for another router's", async (_name, nameFor) => {
    const tag = stateCookieFor("abc").slice(-6);
    const res = await request(own())
      .get("/consume-told?state=abc")
      .set("Cookie", `${nameFor(tag)}=s:whatever`);
    expect(res.body.code).toBe("STATE_COOKIE_MISSING");
  });

  it("allows a clock a little behind (issued 30 s in the future)", async () => {
    const res = await consume(own(), "abc", crafted("abc", pending("abc", Date.now() + 30_000)));
    expect(res.status).toBe(200);
  });

  it("takes a state of up to 256 characters", async () => {
    const state = "s".repeat(256);
    const res = await consume(own(), state, crafted(state, pending(state)));
    expect(res.status).toBe(200);
    expect(res.body.state).toBe(state);
  });

  it("reads a cookie followed by a space before the next one", async () => {
    const res = await consume(own(), "abc", `${crafted("abc", pending("abc"))} ; other=1`);
    expect(res.status).toBe(200);
  });
});

describe("with cookie-parser's secret instead of cookieSecret", () => {
  it("says the secret is missing when cookie-parser has none", async () => {
    const app = appWith({ parserSecret: null });
    const res = await consume(app, "abc", crafted("abc", pending("abc"), "any"));
    expect(res.body).toEqual({ code: "COOKIE_SECRET_MISSING" });
  });

  it.each<[string, string, string]>([
    [
      "an unsigned cookie with our name",
      `${stateCookieFor("abc")}=${pending("abc")}`,
      "STATE_COOKIE_INVALID",
    ],
    ["a cookie signed with another secret", crafted("abc", pending("abc"), "other"), "STATE_COOKIE_INVALID"],
    ["no cookie of ours", "other=1", "STATE_COOKIE_MISSING"],
  ])("refuses %s", async (_name, cookie, code) => {
    const res = await consume(appWith({ parserSecret: "parser-secret" }), "abc", cookie);
    expect(res.body).toEqual({ code });
  });

  it("accepts one cookie-parser verifies", async () => {
    const res = await consume(
      appWith({ parserSecret: "parser-secret" }),
      "abc",
      crafted("abc", pending("abc"), "parser-secret"),
    );
    expect(res.status).toBe(200);
  });
});

describe("at most five logins in flight", () => {
  it("drops the oldest by issue time, wherever it is in the header", async () => {
    const now = Date.now();
    const ages = [3, 5, 1, 4, 2]; // minutes ago; the third cookie is the oldest
    const cookies = ages.map((minutes, i) =>
      crafted(`state${i}`, pending(`state${i}`, now - minutes * 60_000)),
    );
    const res = await request(own()).get("/issue?state=new").set("Cookie", cookies.join("; "));
    const lines = res.headers["set-cookie"] as unknown as string[];
    const cleared = lines.filter((line) => line.includes("Expires=Thu, 01 Jan 1970"));
    expect(cleared).toHaveLength(1);
    expect(cleared[0]?.startsWith(`${stateCookieFor("state1")}=`)).toBe(true);
    expect(lines).toHaveLength(2);
  });
});

describe("helpers", () => {
  it("tags a session with 22 base64url characters of its hash, never the id", () => {
    const tag = sessionTag("session-id-0123456789");
    expect(tag).toMatch(/^[\w-]{22}$/);
    expect(tag).not.toContain("session");
  });

  it("compares secrets only with strings", () => {
    expect(sameSecret("abc", "abc")).toBe(true);
    expect(sameSecret("abc", undefined)).toBe(false);
    expect(sameSecret("abc", ["abc"])).toBe(false);
    expect(sameSecret("abc", "abd")).toBe(false);
  });
});
