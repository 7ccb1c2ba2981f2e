import express from "express";
import cookieParser from "cookie-parser";
import { bitbucketErrorHandler, bitbucketRouter } from "express-lucia-bitbucket";
import type { Auth } from "./lucia.js";

export interface AppConfig {
  readonly auth: Auth;
  readonly clientId: string;
  readonly clientSecret: string;
  /** The callback URL registered on the Bitbucket OAuth consumer. */
  readonly redirectUri: string;
  /** Signs the login's state cookie: a long random string, the same on every server. */
  readonly cookieSecret: string;
  /** Middleware before the routes: the server mounts rewriteBitbucketRedirects here for the fake. */
  readonly beforeRoutes?: readonly express.RequestHandler[];
}

/** The app without `listen`, so a test can drive it with supertest or on a port of its own. */
export function createApp({ auth, cookieSecret, beforeRoutes = [], ...client }: AppConfig) {
  const app = express();
  app.use(cookieParser(cookieSecret));
  for (const middleware of beforeRoutes) app.use(middleware);
  app.use(
    bitbucketRouter(auth, {
      ...client, // clientId, clientSecret, redirectUri
      logoutPath: "/logout",
      // The columns lucia.ts declares, filled from the Bitbucket user at sign-up.
      getUserAttributes: (bitbucketUser, { email }) => ({
        display_name: bitbucketUser.display_name,
        avatar_url: "href" in bitbucketUser.links.avatar ? bitbucketUser.links.avatar.href : null,
        email,
      }),
      fetchEmail: true,
      getSessionAttributes: ({ req }) => ({ user_agent: req.get("user-agent")?.slice(0, 200) ?? null }),
    }),
  );
  app.get("/", async (req, res) => {
    const session = await auth.handleRequest(req, res).validate();
    if (!session) return void res.type("html").send(`<a href="/login/bitbucket">Log in with Bitbucket</a>`);
    res.type("html").send(`<p>Signed in as ${escape(session.user.displayName ?? "")}</p>
<form method="post" action="/logout"><button>Log out</button></form>`);
  });
  app.get("/me", async (req, res) => {
    const session = await auth.handleRequest(req, res).validate();
    if (!session) return void res.status(401).json({ error: "UNAUTHENTICATED" });
    res.json({
      userId: session.user.userId,
      displayName: session.user.displayName,
      email: session.user.email,
    });
  });
  // Login failures as JSON with their code (ACCESS_DENIED, STATE_EXPIRED, …), never a stack trace.
  app.use(bitbucketErrorHandler());
  return app;
}

const escape = (text: string) => text.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
