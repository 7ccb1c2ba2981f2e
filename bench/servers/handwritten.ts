import express from "express";
import cookieParser from "cookie-parser";
import { bitbucket } from "@lucia-auth/oauth/providers";
import { OAuthRequestError } from "@lucia-auth/oauth";
import { openDatabase } from "../../example-server/database.js";
import { createAuth } from "../../example-server/lucia.js";
import { CALLBACK, FAKE_URL, serve } from "./common.js";
import { routeBitbucketByDispatcher } from "./edge.js";

// The floor: the routes a Lucia 2 user writes by hand after the Lucia v2 "OAuth in Express" guide,
// with the same provider, adapter and kind of database file as ours. The guide's omissions are
// kept on purpose (README, Benchmarks): an unsigned state cookie, no returnTo, no timeout, no
// linking or gate, no clean-up of a half-made user, and errors as bare 400/500 statuses.
await routeBitbucketByDispatcher(FAKE_URL);
const db = await openDatabase({ databasePath: process.env.DATABASE_PATH ?? ":memory:" });
const auth = createAuth(db.adapter, "DEV");
const provider = bitbucket(auth, {
  clientId: "fake-client-id",
  clientSecret: "fake-client-secret",
  redirectUri: CALLBACK(process.env.PORT, "/login/bitbucket/callback"),
});

const app = express();
app.use(cookieParser());

app.get("/login/bitbucket", async (_req, res) => {
  const [url, state] = await provider.getAuthorizationUrl();
  res.cookie("bitbucket_oauth_state", state, {
    httpOnly: true,
    secure: process.env.NODE_ENV === "production",
    path: "/",
    maxAge: 60 * 60 * 1000,
  });
  return res.status(302).setHeader("Location", url.toString()).end();
});

app.get("/login/bitbucket/callback", async (req, res) => {
  const storedState = req.cookies.bitbucket_oauth_state as string | undefined;
  const state = req.query.state;
  const code = req.query.code;
  if (!storedState || !state || storedState !== state || typeof code !== "string") {
    return res.sendStatus(400);
  }
  try {
    const { getExistingUser, bitbucketUser, createUser } = await provider.validateCallback(code);
    const getUser = async () => {
      const existingUser = await getExistingUser();
      if (existingUser) return existingUser;
      return createUser({ attributes: { display_name: bitbucketUser.display_name } });
    };
    const user = await getUser();
    const session = await auth.createSession({ userId: user.userId, attributes: {} });
    const authRequest = auth.handleRequest(req, res);
    authRequest.setSession(session);
    return res.status(302).setHeader("Location", "/").end();
  } catch (e) {
    if (e instanceof OAuthRequestError) return res.sendStatus(400);
    return res.sendStatus(500);
  }
});

serve(app);
