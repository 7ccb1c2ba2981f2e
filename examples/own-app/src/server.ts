import { randomBytes } from "node:crypto";
import type { RequestHandler } from "express";
import { createApp } from "./app.js";
import { createAuth } from "./lucia.js";

const port = Number(process.env.PORT ?? 3000);
const fakeBitbucket = process.env.BITBUCKET_FAKE === "1";
// Signs the login's state cookie, so every server of the app needs the same one. Against the fake
// a fresh random one per run will do; without the fake it must be set, or every login would fail.
const cookieSecret = process.env.COOKIE_SECRET ?? (fakeBitbucket ? randomBytes(32).toString("hex") : "");
if (!cookieSecret) {
  console.error("Set COOKIE_SECRET to a long random string, the same on every server (or BITBUCKET_FAKE=1).");
  process.exit(1);
}
let credentials = {
  clientId: process.env.BITBUCKET_CLIENT_ID ?? "",
  clientSecret: process.env.BITBUCKET_CLIENT_SECRET ?? "",
};
const beforeRoutes: RequestHandler[] = [];
let stopFake = async () => {};
const redirectUri = process.env.BITBUCKET_REDIRECT_URI ?? `http://localhost:${port}/login/bitbucket/callback`;

if (fakeBitbucket) {
  // The fake Bitbucket that ships with the package, on loopback: no account, no network.
  const testing = await import("express-lucia-bitbucket/testing");
  const fake = await testing.startFakeBitbucket({
    port: Number(process.env.FAKE_BITBUCKET_PORT ?? 0),
    callbackUrl: redirectUri, // registered on the fake's consumer, as on Bitbucket's
  });
  testing.routeBitbucketTo(fake.url); // the server's own calls to Bitbucket
  beforeRoutes.push(testing.rewriteBitbucketRedirects(fake.url)); // the browser's hop to Bitbucket
  credentials = testing.DEFAULT_FAKE_CLIENT; // fake-client-id / fake-client-secret
  stopFake = () => fake.close();
  console.log(`fake Bitbucket at ${fake.url}`);
}

const app = createApp({
  auth: createAuth(),
  ...credentials,
  redirectUri,
  cookieSecret,
  beforeRoutes,
});
const server = app.listen(port, () => console.log(`listening on http://localhost:${port}`));
const stop = () => server.close(() => void stopFake().then(() => process.exit(0)));
process.once("SIGTERM", stop);
process.once("SIGINT", stop);
