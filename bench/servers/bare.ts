import { randomBytes } from "node:crypto";
import express from "express";
import cookieParser from "cookie-parser";
import { SECRET, serve } from "./common.js";

// The limit for the login start: one signed cookie and a 302, nothing else.
const app = express();
app.use(cookieParser(SECRET));
app.get("/login/bitbucket", (_req, res) => {
  const state = randomBytes(32).toString("base64url");
  res.cookie("state", state, { signed: true, httpOnly: true, sameSite: "lax", maxAge: 600_000 });
  res.redirect(
    302,
    `https://bitbucket.org/site/oauth2/authorize?response_type=code&client_id=x&state=${state}`,
  );
});
serve(app);
