import { Socket } from "node:net";
import express, { type ErrorRequestHandler } from "express";
import cookieParser from "cookie-parser";
import { bitbucketAccessGuard, bitbucketErrorHandler, bitbucketRouter } from "express-lucia-bitbucket";
import { openDatabase } from "../../example-server/database.js";
import { createAuth } from "../../example-server/lucia.js";
import { routeBitbucketByDispatcher } from "../servers/edge.js";

// One app instance of the soak run: the README's setup on PostgreSQL (DATABASE_URL), the sealed
// token store and the guard, its Bitbucket reached through the chaos proxy (FAKE_URL).
const {
  PORT = "0",
  FAKE_URL = "",
  DATABASE_URL = "",
  INTERVAL_MS = "2000",
  MAX_STALE_MS = "4000",
} = process.env;
await routeBitbucketByDispatcher(FAKE_URL);
const db = await openDatabase({ databaseUrl: DATABASE_URL });
const auth = createAuth(db.adapter, "DEV");
const client = { clientId: "fake-client-id", clientSecret: "fake-client-secret" };
const allow = { workspaces: ["fake-team"] };
const app = express();
app.use(cookieParser("soak-cookie-secret-0123456789abcdef"));
app.use(
  bitbucketRouter(auth, {
    ...client,
    redirectUri: `http://127.0.0.1:${PORT}/login/bitbucket/callback`,
    allow,
    tokens: db.tokens,
    timeout: 2000,
    getUserAttributes: (bb) => ({ display_name: bb.display_name }),
  }),
);
app.use(
  bitbucketAccessGuard(auth, {
    ...client,
    allow,
    tokens: db.tokens,
    interval: Number(INTERVAL_MS),
    maxStale: Number(MAX_STALE_MS),
    timeout: 2000,
  }),
);
// The app's own signed-in page. Its own database failures are its own code, not the package's.
app.get("/me", async (req, res) => {
  let session;
  try {
    session = await auth.handleRequest(req, res).validate();
  } catch {
    return void res.status(503).json({ error: "APP_DATABASE_UNAVAILABLE" });
  }
  if (!session) return void res.status(401).json({ error: "UNAUTHENTICATED" });
  res.json({ userId: session.user.userId });
});
app.get("/__stats", (_req, res) => {
  for (let i = 0; i < 3; i++) globalThis.gc?.();
  const { rss, heapUsed } = process.memoryUsage();
  const handles = (process as unknown as { _getActiveHandles(): unknown[] })._getActiveHandles();
  res.json({ rss, heapUsed, sockets: handles.filter((h) => h instanceof Socket).length });
});
const last: ErrorRequestHandler = (_err, _req, res, _next) => void res.status(500).json({ error: "UNCODED" });
app.use(bitbucketErrorHandler(), last);
const server = app.listen(Number(PORT), "127.0.0.1", () => process.stdout.write("ready\n"));
server.keepAliveTimeout = 120_000;
process.once("SIGTERM", () => server.close(() => void db.close().finally(() => process.exit(0))));
