import { afterEach, describe, expect, it } from "@jest/globals";
import request from "supertest";
import signature from "cookie-signature";
import { sessionTag } from "../../src/state/state-value.js";
import {
  approvedCallback,
  COOKIE_SECRET,
  link,
  login,
  startHarness,
  stateCookieFor,
  type Harness,
  type HarnessOptions,
  harnessPending,
} from "../helpers/harness.js";

// Defences that mutation testing found unpinned: each test fails if its defence is removed.
let h: Harness;
afterEach(() => h?.close());
const start = async (options?: HarnessOptions) => (h = await startHarness(options));
const failInsertsInto = (table: string) =>
  h.db.exec(
    `CREATE TRIGGER fail_${table} BEFORE INSERT ON ${table} BEGIN SELECT RAISE(ABORT, 'injected'); END;`,
  );

/** The callback of an approved login, sent with a state cookie whose signed content we choose. */
async function callbackWithCookie(value: (state: string) => string, secret = COOKIE_SECRET) {
  const agent = h.agent();
  const callback = await approvedCallback(agent);
  const state = new URL(callback, "http://x").searchParams.get("state") ?? "";
  const cookie = `${stateCookieFor(state)}=${encodeURIComponent(`s:${signature.sign(value(state), secret)}`)}`;
  return request(h.app).get(callback).set("Cookie", cookie);
}

describe("a failed session write", () => {
  it("never deletes a returning user", async () => {
    await start();
    await login(h.agent());
    await failInsertsInto("user_session");
    const res = await login(h.agent());
    expect(res.body.error).toBe("SESSION_CREATION_FAILED");
    // The first login's session stays; the returning user and their key stay too.
    expect(await h.db.counts()).toEqual({ users: 1, keys: 1, sessions: 1 });
  });

  it("never deletes the signed-in user of a link", async () => {
    await start();
    const agent = h.agent();
    await login(agent);
    h.fake.addUser({ uuid: "{bbbbbbbb-0000-4000-8000-00000000000b}", nickname: "second" });
    h.fake.setDefaultUser("second");
    await failInsertsInto("user_session");
    const res = await link(agent);
    expect(res.body.error).toBe("SESSION_CREATION_FAILED");
    expect((await h.db.counts()).users).toBe(1);
  });
});

describe("a stale session cookie at the callback", () => {
  it("is ignored, not a 500: the login goes on with a fresh session", async () => {
    await start();
    const agent = h.agent();
    await login(agent);
    const { userId } = (await agent.get("/me")).body;
    await h.auth.invalidateAllUserSessions(userId);
    const res = await login(agent);
    expect(res.status).toBe(302);
    expect((await agent.get("/me")).body.userId).toBe(userId);
  });
});

describe("the signed state cookie's content is checked too", () => {
  it("re-checks the returnTo it carries: an unsafe one lands on successRedirect", async () => {
    await start({ router: { successRedirect: "/home" } });
    const res = await callbackWithCookie((state) =>
      harnessPending({ state, issuedAt: Date.now(), returnTo: "//evil.example", link: null }),
    );
    expect(res.status).toBe(302);
    expect(res.headers.location).toBe("/home");
  });

  it.each([
    [
      "issued in the future",
      (state: string) =>
        harnessPending({ state, issuedAt: Date.now() + 120_000, returnTo: null, link: null }),
    ],
    [
      "an extra segment",
      (state: string) => `${harnessPending({ state, issuedAt: Date.now(), returnTo: null, link: null })}.x`,
    ],
    ["a missing segment", (state: string) => `${state}.${Date.now().toString(36)}.`],
    ["an issue time that is not base 36", (state: string) => `${state}.${"Z".repeat(8)}..`],
    ["an issue time too long", (state: string) => `${state}.${"1".repeat(13)}..`],
    ["an empty state", () => `.${Date.now().toString(36)}..`],
  ])("refuses a validly signed cookie with %s: STATE_COOKIE_INVALID", async (_name, value) => {
    await start();
    const res = await callbackWithCookie(value);
    expect({ status: res.status, error: res.body.error }).toEqual({
      status: 400,
      error: "STATE_COOKIE_INVALID",
    });
    expect(await h.db.counts()).toEqual({ users: 0, keys: 0, sessions: 0 });
  });

  it("accepts an issue time up to a minute ahead (clock skew between instances)", async () => {
    await start();
    const res = await callbackWithCookie((state) =>
      harnessPending({ state, issuedAt: Date.now() + 30_000, returnTo: null, link: null }),
    );
    expect(res.status).toBe(302);
  });

  it("refuses a link state whose session tag is not the request's session", async () => {
    await start();
    const agent = h.agent();
    await login(agent);
    const { sessionId } = (await agent.get("/me")).body;
    const callback = await approvedCallback(agent);
    const state = new URL(callback, "http://x").searchParams.get("state") ?? "";
    const forged = (tag: string) =>
      `auth_session=${sessionId}; ${stateCookieFor(state)}=${encodeURIComponent(
        `s:${signature.sign(harnessPending({ state, issuedAt: Date.now(), returnTo: null, link: tag }), COOKIE_SECRET)}`,
      )}`;
    const wrong = await request(h.app)
      .get(callback)
      .set("Cookie", forged(sessionTag(`${sessionId}x`)));
    expect(wrong.body.error).toBe("LINK_SESSION_MISMATCH");
  });
});

describe("the cookieSecret option", () => {
  it("reads the state cookie among others, and tries every secret of the rotation list", async () => {
    await start({ cookieSecret: null, router: { cookieSecret: ["new-secret", "old-secret"] } });
    const res = await callbackWithCookie(
      (state) => harnessPending({ state, issuedAt: Date.now(), returnTo: "/old", link: null }),
      "old-secret",
    );
    expect(res.status).toBe(302);
    expect(res.headers.location).toBe("/old");
  });

  it("finds its cookie by exact name, after other cookies, and refuses one signed with an unknown secret", async () => {
    await start({ cookieSecret: null, router: { cookieSecret: "only-secret" } });
    const agent = h.agent();
    const callback = await approvedCallback(agent);
    const state = new URL(callback, "http://x").searchParams.get("state") ?? "";
    const name = stateCookieFor(state);
    const value = (secret: string) =>
      encodeURIComponent(
        `s:${signature.sign(harnessPending({ state, issuedAt: Date.now(), returnTo: null, link: null }), secret)}`,
      );
    const decoy = `x${name}=nope; ${name}x=nope; theme=dark`;
    const refused = await request(h.app)
      .get(callback)
      .set("Cookie", `${decoy}; ${name}=${value("other")}`);
    expect(refused.body.error).toBe("STATE_COOKIE_INVALID");
    const fine = await request(h.app)
      .get(callback)
      .set("Cookie", `${decoy}; ${name}=${value("only-secret")}`);
    expect(fine.status).toBe(302);
  });
});

describe("onSuccess that answers itself", () => {
  it("gets no redirect after its answer, and no error reaches the app", async () => {
    await start({ router: { onSuccess: ({ res }) => void res.status(201).json({ hello: true }) } });
    const res = await login(h.agent());
    expect(res.status).toBe(201);
    expect(res.headers.location).toBeUndefined();
    expect(h.errors).toEqual([]);
  });
});

describe("logout", () => {
  it.each([
    ["Sec-Fetch-Site: same-site", { "Sec-Fetch-Site": "same-site" }, 403],
    ["no Origin and no Sec-Fetch-Site (curl)", {}, 303],
    ["the app's own Origin", { Origin: "http://app.test" }, 303],
    ["an Origin on the same host but another port", { Origin: "http://127.0.0.1" }, 403],
    // An app reached under another name than redirectUri's accepts its own Host as the origin.
    ["an Origin naming the Host it was sent to", { Host: "alias.test", Origin: "http://alias.test" }, 303],
    [
      "an Origin naming another port of that Host",
      { Host: "alias.test", Origin: "http://alias.test:8080" },
      403,
    ],
  ])("answers %s with the status it should, and no-store", async (_name, headers, status) => {
    await start({ router: { logoutPath: "/logout" } });
    const agent = h.agent();
    await login(agent);
    const res = await agent.post("/logout").set(headers);
    expect(res.status).toBe(status);
    if (status === 303) expect(res.headers["cache-control"]).toBe("no-store");
  });
});
