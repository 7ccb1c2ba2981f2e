import express from "express";
import cookieParser from "cookie-parser";
import { bitbucketRouter } from "express-lucia-bitbucket";
import { openDatabase } from "../../example-server/database.js";
import { createAuth } from "../../example-server/lucia.js";
import { CALLBACK, FAKE_URL, SECRET, serve } from "./common.js";
import { routeBitbucketByDispatcher } from "./edge.js";

// This package as the README tells users to mount it, with Lucia on a SQLite file.
await routeBitbucketByDispatcher(FAKE_URL);
const db = await openDatabase({ databasePath: process.env.DATABASE_PATH ?? ":memory:" });
const auth = createAuth(db.adapter, "DEV");
const app = express();
app.use(cookieParser(SECRET));
app.use(
  bitbucketRouter(auth, {
    clientId: "fake-client-id",
    clientSecret: "fake-client-secret",
    redirectUri: CALLBACK(process.env.PORT, "/login/bitbucket/callback"),
    getUserAttributes: (bb) => ({ display_name: bb.display_name }),
    // ALLOW_WORKSPACES=fake-team measures the access gate's cost.
    ...(process.env.ALLOW_WORKSPACES
      ? { allow: { workspaces: process.env.ALLOW_WORKSPACES.split(",") } }
      : {}),
  }),
);
serve(app);
