import express from "express";
import cookieParser from "cookie-parser";
import {
  bitbucketAccessGuard,
  bitbucketForwardAuth,
  bitbucketRouter,
  memoryTokenStore,
} from "express-lucia-bitbucket";
import { openDatabase } from "../../example-server/database.js";
import { createAuth } from "../../example-server/lucia.js";
import { CALLBACK, FAKE_URL, SECRET, serve } from "./common.js";
import { routeBitbucketByDispatcher } from "./edge.js";

// This package as the README tells users to mount it, with Lucia on a SQLite file.
// ALLOW_WORKSPACES=fake-team measures the access gate's cost; GUARD=1 adds the token store and
// bitbucketAccessGuard in front of every route, as the README's "Staying signed in" does.
// SERVER_URL (the fake Data Center's) makes it a Data Center router; ALLOW_PROJECTS=ENG its gate.
// FETCH_EMAIL=1 turns on Cloud's fetchEmail. FORWARD_AUTH=1 mounts bitbucketForwardAuth under
// /_auth (with a rule named "docs"), beside a bare route that validates the session and answers 200.
await routeBitbucketByDispatcher(FAKE_URL);
const db = await openDatabase({ databasePath: process.env.DATABASE_PATH ?? ":memory:" });
const auth = createAuth(db.adapter, "DEV");
const client = { clientId: "fake-client-id", clientSecret: "fake-client-secret" };
const allow = process.env.ALLOW_WORKSPACES
  ? { workspaces: process.env.ALLOW_WORKSPACES.split(",") }
  : undefined;
const tokens = (process.env.GUARD || process.env.FORWARD_AUTH) && allow ? memoryTokenStore() : undefined;
const app = express();
app.use(cookieParser(SECRET));
const redirectUri = CALLBACK(process.env.PORT, "/login/bitbucket/callback");
const serverUrl = process.env.SERVER_URL;
if (serverUrl) {
  const projects = process.env.ALLOW_PROJECTS ? process.env.ALLOW_PROJECTS.split(",") : [];
  app.use(
    bitbucketRouter(auth, {
      ...client,
      serverUrl,
      redirectUri,
      getUserAttributes: (user) => ({ display_name: user.displayName }),
      ...(projects.length ? { allow: { projects } } : {}),
    }),
  );
} else {
  app.use(
    bitbucketRouter(auth, {
      ...client,
      redirectUri,
      getUserAttributes: (bb) => ({ display_name: bb.display_name }),
      ...(allow ? { allow } : {}),
      ...(tokens ? { tokens } : {}),
      ...(process.env.FETCH_EMAIL ? { fetchEmail: true } : {}),
    }),
  );
}
if (tokens && allow && process.env.GUARD) app.use(bitbucketAccessGuard(auth, { ...client, allow, tokens }));
if (tokens && allow && process.env.FORWARD_AUTH) {
  const loginUrl = "/login/bitbucket";
  app.use(
    "/_auth",
    bitbucketForwardAuth(auth, { ...client, allow, tokens, loginUrl, rules: { docs: allow } }),
  );
  // What a proxy could ask instead: a route of the app's own that validates the session.
  app.get("/session", async (req, res) => {
    const session = await auth.handleRequest(req, res).validate();
    res.status(session ? 200 : 401).end();
  });
}
// An authenticated route: Lucia validates the session, as any signed-in page of the app does.
app.get("/me", async (req, res) => {
  const session = await auth.handleRequest(req, res).validate();
  if (!session) return void res.status(401).end();
  res.type("text/plain").send(session.user.userId);
});
serve(app);
