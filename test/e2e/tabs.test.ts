import { afterEach, describe, expect, it } from "@jest/globals";
import request from "supertest";
import {
  approveAtFake,
  beginLogin,
  setCookie,
  setCookies,
  startHarness,
  STATE_COOKIE,
  type Harness,
} from "../helpers/harness.js";
import { MAX_RETURN_TO_BYTES } from "../../src/state/return-to.js";

let h: Harness;
afterEach(() => h?.close());

/** `name=value` of Set-Cookie lines, for a hand-built Cookie header. */
const pairsOf = (lines: string[]) => lines.map((l) => l.split(";")[0] ?? "");

describe("several logins in one browser", () => {
  it("two tabs that each start a login both complete, and each callback clears only its own cookie", async () => {
    h = await startHarness();
    const agent = h.agent();
    const first = await beginLogin(agent);
    const second = await beginLogin(agent);
    const firstCallback = await approveAtFake(first.authorizeUrl);
    const secondCallback = await approveAtFake(second.authorizeUrl);

    const older = await agent.get(firstCallback);
    expect(older.status).toBe(302);
    const cleared = setCookies(older, STATE_COOKIE);
    expect(cleared).toHaveLength(1);
    expect(cleared[0]).toBe(
      `${(setCookie(first.res, STATE_COOKIE) ?? "").split("=")[0]}=; Path=/login/bitbucket; Expires=Thu, 01 Jan 1970 00:00:00 GMT; HttpOnly; SameSite=Lax`,
    );

    const newer = await agent.get(secondCallback);
    expect(newer.status).toBe(302);
    expect(await h.db.counts()).toEqual({ users: 1, keys: 1, sessions: 1 });
  });

  it("keeps at most 5 state cookies: 50 starts leave the newest 5, and the newest still completes", async () => {
    h = await startHarness();
    // A browser's jar, by hand: Set-Cookie lines set or (when expired) remove a cookie.
    const jar = new Map<string, string>();
    const starts: string[] = [];
    for (let i = 0; i < 50; i++) {
      const header = [...jar].map(([k, v]) => `${k}=${v}`).join("; ");
      const res = await request(h.app)
        .get("/login/bitbucket")
        .set(header ? { Cookie: header } : {});
      for (const line of setCookies(res, STATE_COOKIE)) {
        const [pair = ""] = line.split(";");
        const [name = "", value = ""] = pair.split("=");
        if (line.includes("Expires=Thu, 01 Jan 1970")) jar.delete(name);
        else jar.set(name, value);
      }
      expect(jar.size).toBeLessThanOrEqual(5);
      starts.push(res.headers.location as string);
    }
    expect(jar.size).toBe(5);
    const header = [...jar].map(([k, v]) => `${k}=${v}`).join("; ");
    expect(header.length).toBeLessThan(1024);
    const oldest = await request(h.app)
      .get(await approveAtFake(starts[0] ?? ""))
      .set("Cookie", header);
    expect(oldest.body.error).toBe("STATE_MISMATCH");
    for (const i of [45, 49]) {
      const done = await request(h.app)
        .get(await approveAtFake(starts[i] ?? ""))
        .set("Cookie", header);
      expect(done.status).toBe(302);
    }
  });

  it("drops the oldest by issue time when a sixth login starts", async () => {
    h = await startHarness();
    const agent = h.agent();
    const lines: string[] = [];
    for (let i = 0; i < 5; i++) lines.push(setCookie((await beginLogin(agent)).res, STATE_COOKIE) ?? "");
    const sixth = await beginLogin(agent);
    const dropped = setCookies(sixth.res, STATE_COOKIE).filter((l) => l.includes("=;"));
    expect(dropped.map((l) => l.split("=")[0])).toEqual([lines[0]?.split("=")[0]]);
    // A hand-made browser with the five sends them all; the sixth start drops exactly one.
    const res = await request(h.app).get("/login/bitbucket").set("Cookie", pairsOf(lines).join("; "));
    expect(setCookies(res, STATE_COOKIE).filter((l) => l.includes("=;"))).toHaveLength(1);
  });
});

describe("small cookies", () => {
  it("lands on a CJK returnTo of up to 1,024 UTF-8 bytes, with a state cookie well under 4,096 bytes", async () => {
    h = await startHarness();
    const returnTo = "/" + "漢".repeat(341);
    expect(Buffer.byteLength(returnTo)).toBe(MAX_RETURN_TO_BYTES);
    const agent = h.agent();
    const { res } = await beginLogin(agent, `?returnTo=${encodeURIComponent(returnTo)}`);
    expect(Buffer.byteLength(setCookie(res, STATE_COOKIE) ?? "")).toBeLessThan(2048);
    const done = await agent.get(await approveAtFake(res.headers.location as string));
    expect(done.status).toBe(302);
    expect(decodeURIComponent(done.headers.location as string)).toBe(returnTo);
  });

  it("falls back to successRedirect for a 1,000-character CJK returnTo (3,001 bytes), keeping the cookie small", async () => {
    h = await startHarness({ router: { successRedirect: "/home" } });
    const returnTo = "/" + "漢".repeat(1000);
    const agent = h.agent();
    const { res } = await beginLogin(agent, `?returnTo=${encodeURIComponent(returnTo)}`);
    expect(Buffer.byteLength(setCookie(res, STATE_COOKIE) ?? "")).toBeLessThan(4096);
    expect(Buffer.byteLength(setCookie(res, STATE_COOKIE) ?? "")).toBeLessThan(400);
    const done = await agent.get(await approveAtFake(res.headers.location as string));
    expect(done.headers.location).toBe("/home");
  });
});

describe("caching", () => {
  it("sends Cache-Control: no-store on the login start and the callback", async () => {
    h = await startHarness();
    const agent = h.agent();
    const { res } = await beginLogin(agent);
    expect(res.headers["cache-control"]).toBe("no-store");
    const done = await agent.get(await approveAtFake(res.headers.location as string));
    expect(done.headers["cache-control"]).toBe("no-store");
  });
});

describe("failureRedirect", () => {
  it.each([
    ["/login", "/login?error=STATE_COOKIE_MISSING"],
    ["/login?x=1", "/login?x=1&error=STATE_COOKIE_MISSING"],
    ["/login#top", "/login?error=STATE_COOKIE_MISSING#top"],
    ["/login?x=1#a#b", "/login?x=1&error=STATE_COOKIE_MISSING#a#b"],
    ["https://app.test/oops#f", "https://app.test/oops?error=STATE_COOKIE_MISSING#f"],
  ])("%s puts ?error before any fragment: %s", async (failureRedirect, location) => {
    h = await startHarness({ router: { failureRedirect } });
    const res = await h.agent().get("/login/bitbucket/callback?state=s&code=c");
    expect(res.status).toBe(302);
    expect(res.headers.location).toBe(location);
  });
});
