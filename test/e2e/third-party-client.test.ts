// The shipped fake serves other clients than ours: passport-bitbucket-oauth2 (over passport-oauth2
// and the `oauth` package, which call Bitbucket with Node's https, not fetch) logs in against it.
// This keeps the fake honest for other people's test suites.
import { afterAll, beforeAll, describe, expect, it } from "@jest/globals";
import express from "express";
import session from "express-session";
import passport from "passport";
// @ts-expect-error: the strategy ships no types
import { Strategy as BitbucketStrategy } from "passport-bitbucket-oauth2";
import request from "supertest";
import { DEFAULT_FAKE_USER, startFakeBitbucket, type FakeBitbucket } from "../../src/testing/index.js";

interface Profile {
  id: string;
  username: string;
  displayName: string;
}

let fake: FakeBitbucket;
let app: express.Express;
const CALLBACK = "http://app.test/auth/bitbucket/callback";

beforeAll(async () => {
  fake = await startFakeBitbucket({ callbackUrl: CALLBACK });
  const strategy = new BitbucketStrategy(
    {
      clientID: "fake-client-id",
      clientSecret: "fake-client-secret",
      callbackURL: CALLBACK,
      // A third-party client points its endpoints at the fake the way it documents.
      authorizationURL: `${fake.url}/site/oauth2/authorize`,
      tokenURL: `${fake.url}/site/oauth2/access_token`,
      userProfileURL: `${fake.url}/2.0/user`,
      state: true,
    },
    (
      _accessToken: string,
      _refreshToken: string,
      profile: Profile,
      done: (e: unknown, u?: Profile) => void,
    ) => done(null, { id: profile.id, username: profile.username, displayName: profile.displayName }),
  );
  const auth = new passport.Passport();
  auth.use(strategy);
  auth.serializeUser((user, done) => done(null, JSON.stringify(user)));
  auth.deserializeUser((user: string, done) => done(null, JSON.parse(user) as Profile));
  app = express();
  app.use(session({ secret: "third-party-test-secret", resave: false, saveUninitialized: false }));
  app.use(auth.session());
  app.get("/auth/bitbucket", auth.authenticate("bitbucket"));
  app.get(
    "/auth/bitbucket/callback",
    auth.authenticate("bitbucket", { failureRedirect: "/failed" }),
    (_req, res) => res.redirect("/me"),
  );
  app.get("/me", (req, res) => (req.user ? res.json(req.user) : res.status(401).json({ error: "none" })));
});
afterAll(() => fake?.close());

/** Start, the fake's answer to the browser's hop, and the callback, as a browser would. */
async function passportLogin(agent: ReturnType<typeof request.agent>) {
  const start = await agent.get("/auth/bitbucket");
  expect(start.status).toBe(302);
  const authorize = new URL(start.headers.location as string);
  expect(authorize.origin).toBe(fake.url);
  const approved = await fetch(authorize, { redirect: "manual" });
  expect(approved.status).toBe(302);
  const callback = new URL(approved.headers.get("location") ?? "");
  expect(callback.origin + callback.pathname).toBe(CALLBACK);
  return agent.get(callback.pathname + callback.search);
}

describe("passport-bitbucket-oauth2 against the shipped fake", () => {
  it("logs in: authorize, the code exchange with Basic client auth, and /2.0/user", async () => {
    const before = { ...fake.hits };
    const agent = request.agent(app);
    const done = await passportLogin(agent);
    expect(done.status).toBe(302);
    expect(done.headers.location).toBe("/me");
    const me = await agent.get("/me");
    expect(me.status).toBe(200);
    // No `username`: Bitbucket dropped it from user objects in 2019, and the fake's /2.0/user may omit it.
    expect(me.body).toEqual({ id: DEFAULT_FAKE_USER.uuid, displayName: DEFAULT_FAKE_USER.display_name });
    expect(fake.hits.authorize).toBe(before.authorize + 1);
    expect(fake.hits.token).toBe(before.token + 1);
    expect(fake.hits.user).toBe(before.user + 1);
  });

  it("sends a denied login to passport's failureRedirect", async () => {
    fake.setDecision("deny");
    try {
      const agent = request.agent(app);
      const done = await passportLogin(agent);
      expect(done.status).toBe(302);
      expect(done.headers.location).toBe("/failed");
      expect((await agent.get("/me")).status).toBe(401);
    } finally {
      fake.setDecision("auto");
    }
  });
});
