import type { Server } from "node:http";
import express, { type ErrorRequestHandler } from "express";
import cookieParser from "cookie-parser";
import {
  bitbucketAccessGuard,
  bitbucketForwardAuth,
  bitbucketRouter,
  BitbucketAuthError,
} from "express-lucia-bitbucket";
import {
  DEFAULT_FAKE_USER,
  FAKE_OUTSIDER_USER,
  rewriteBitbucketRedirects,
  routeBitbucketTo,
  startFakeBitbucket,
  startFakeDataCenter,
} from "express-lucia-bitbucket/testing";
import { loadConfig } from "./config.js";
import { openDatabase } from "./database.js";
import { createAuth } from "./lucia.js";
import { errorPage, homePage } from "./pages.js";
import { dataCenterWalkthrough, walkthrough } from "./walkthrough.js";

let config: ReturnType<typeof loadConfig>;
try {
  config = loadConfig();
} catch (err) {
  console.error(`example server: ${(err as Error).message}`);
  process.exit(1);
}
for (const warning of config.warnings) console.warn(`warning: ${warning}`);

/** A port in use is one clear line (another `npm start` is the usual cause), not a stack trace. */
function exitOnListenError(err: unknown, what: string): never {
  const code = (err as { code?: unknown } | undefined)?.code;
  if (code === "EADDRINUSE") {
    console.error(
      `example server: ${what} is already in use (another npm start?). Stop it, or choose another port: ` +
        `PORT=3001 FAKE_BITBUCKET_PORT=4001 npm start`,
    );
  } else console.error(`example server: could not listen on ${what}: ${(err as Error).message}`);
  process.exit(1);
}

const db = await openDatabase(config);
const auth = createAuth(db.adapter, config.production ? "PROD" : "DEV", config.sessionCookieDomain);

// Offline unless real credentials are given: the shipped fake Bitbucket stands in at the network edge.
// (loadConfig has already refused production without them: the fake never runs in production.)
const cloud = config.edition === "cloud";
const fake =
  !cloud || config.real || config.fakeUrl
    ? null
    : await startFakeBitbucket({
        port: config.fakePort,
        users: [DEFAULT_FAKE_USER, FAKE_OUTSIDER_USER],
        callbackUrl: config.bitbucket.redirectUri, // registered, as on Bitbucket
      }).catch((err: unknown) => exitOnListenError(err, `FAKE_BITBUCKET_PORT ${config.fakePort}`));
const fakeUrl = !cloud || config.real ? undefined : (config.fakeUrl ?? fake?.url);
if (fakeUrl) routeBitbucketTo(fakeUrl);
// Data Center: the fake instance under /bitbucket, reached directly (serverUrl is its address).
const fakeDataCenter =
  cloud || config.real
    ? null
    : await startFakeDataCenter({
        port: config.fakePort,
        redirectUris: [config.bitbucket.redirectUri],
      }).catch((err: unknown) => exitOnListenError(err, `FAKE_BITBUCKET_PORT ${config.fakePort}`));
const serverUrl = config.serverUrl ?? fakeDataCenter?.url;

const app = express();
app.set("trust proxy", config.trustProxy ? 1 : false);
app.use(cookieParser(config.cookieSecret));
if (fakeUrl) app.use(rewriteBitbucketRedirects(fakeUrl));
const common = {
  ...config.bitbucket,
  logoutPath: "/logout",
  returnToHosts: config.returnToHosts,
  getSessionAttributes: ({ req }: { req: express.Request }) => ({
    user_agent: req.get("user-agent")?.slice(0, 200) ?? null,
  }),
  // Sealed, server-side: for the guard below (and any call the app makes on the user's behalf).
  tokens: db.tokens,
};
// Who may *stay* signed in: the package's guard re-checks `allow` with the stored tokens.
const { clientId, clientSecret, redirectUri } = config.bitbucket;
const guard = { clientId, clientSecret, tokens: db.tokens, interval: config.recheckMs };
// Forward-auth for a reverse proxy (docs/forward-auth.md): the same rules, under /_auth.
const forward = config.forwardAuth && {
  ...guard,
  loginUrl: config.forwardAuth.loginUrl,
  returnToHosts: config.returnToHosts,
};
if (serverUrl) {
  const allow = config.dataCenterAllow;
  app.use(
    bitbucketRouter(auth, {
      ...common,
      serverUrl,
      allow,
      getUserAttributes: (user, { email }) => ({ display_name: user.displayName, avatar_url: null, email }),
    }),
  );
  // Before the guard: the proxy's check answers for itself (a 401, or the login for a browser).
  if (forward && allow)
    app.use(
      "/_auth",
      bitbucketForwardAuth(auth, {
        ...forward,
        serverUrl,
        allow,
        redirectUri,
        rules: config.forwardAuth!.rules as Record<string, typeof allow>,
      }),
    );
  if (allow) app.use(bitbucketAccessGuard(auth, { ...guard, serverUrl, allow, redirectUri }));
} else {
  const allow = config.allow;
  app.use(
    bitbucketRouter(auth, {
      ...common,
      fetchEmail: config.fetchEmail,
      allow,
      getUserAttributes: (bitbucketUser, { email }) => ({
        display_name: bitbucketUser.display_name,
        avatar_url: "href" in bitbucketUser.links.avatar ? bitbucketUser.links.avatar.href : null,
        email,
      }),
    }),
  );
  if (forward && allow)
    app.use(
      "/_auth",
      bitbucketForwardAuth(auth, {
        ...forward,
        allow,
        rules: config.forwardAuth!.rules as Record<string, typeof allow>,
      }),
    );
  if (allow) app.use(bitbucketAccessGuard(auth, { ...guard, allow }));
}

app.get("/", async (req, res) => {
  const session = await auth.handleRequest(req, res).validate();
  res.type("html").send(homePage(session?.user ?? null));
});

app.get("/me", async (req, res) => {
  const session = await auth.handleRequest(req, res).validate();
  if (!session)
    return void res.status(401).json({ error: "UNAUTHENTICATED", message: "Nobody is signed in." });
  const { userId, displayName, avatarUrl, email } = session.user;
  res.json({ userId, displayName, avatarUrl, email });
});

// Failures answer as JSON for curl and as a readable page for browsers; never a stack trace.
const onError: ErrorRequestHandler = (err, req, res, _next) => {
  const known = err instanceof BitbucketAuthError;
  const status = known ? err.status : 500;
  const code = known ? err.code : "INTERNAL";
  const message = known ? err.message : "Something went wrong.";
  if (!known) console.error(err);
  res.status(status);
  if (req.accepts(["json", "html"]) === "html") res.type("html").send(errorPage(status, code, message));
  else res.json({ error: code, message });
};
app.use(onError);

const server: Server = app.listen(config.port, () => {
  const base = `http://localhost:${config.port}`;
  const source = config.real
    ? `real Bitbucket${serverUrl ? ` Data Center at ${serverUrl}` : ""}`
    : fakeDataCenter
      ? `fake Bitbucket Data Center at ${fakeDataCenter.url}`
      : `fake Bitbucket at ${fakeUrl}`;
  const banner = fakeDataCenter
    ? dataCenterWalkthrough(base, new URL(fakeDataCenter.url).origin, config.dataCenterAllow !== undefined)
    : fakeUrl
      ? walkthrough(base, fakeUrl, config.allow !== undefined)
      : "";
  // One write: whoever waits for the first line gets the walkthrough with it.
  console.log(`example server on ${base} (${db.kind}; ${source})` + (banner ? `\n\n${banner}` : ""));
});
server.once("error", (err) => void exitOnListenError(err, `PORT ${config.port}`));

async function shutdown(signal: string) {
  console.log(`${signal}: shutting down`);
  server.closeAllConnections();
  await new Promise<void>((resolve) => server.close(() => resolve()));
  await fake?.close();
  await fakeDataCenter?.close();
  await db.close();
  process.exit(0);
}
process.once("SIGINT", () => void shutdown("SIGINT"));
process.once("SIGTERM", () => void shutdown("SIGTERM"));
