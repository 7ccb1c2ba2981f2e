import type { AddressInfo } from "node:net";
import {
  DEFAULT_FAKE_CLIENT,
  rewriteBitbucketRedirects,
  routeBitbucketTo,
  startFakeBitbucket,
} from "express-lucia-bitbucket/testing";
import { createApp } from "../src/app.js";
import { createAuth, openDatabase } from "../src/lucia.js";

/**
 * The app on a port of its own, with Lucia on an in-memory database and the package's fake
 * Bitbucket standing in for bitbucket.org. `login()` signs a browser in and returns its cookie.
 */
export async function startApp() {
  // A placeholder host is fine: the app never fetches its own callback. The fake's consumer
  // registers it, as yours on Bitbucket registers your real one.
  const redirectUri = "http://localhost/login/bitbucket/callback";
  const fake = await startFakeBitbucket({ callbackUrl: redirectUri });
  const unroute = routeBitbucketTo(fake.url);
  let base = "";
  const app = createApp({
    auth: createAuth(openDatabase(":memory:")),
    ...DEFAULT_FAKE_CLIENT,
    redirectUri,
    cookieSecret: "a-test-secret-of-at-least-32-characters",
    beforeRoutes: [rewriteBitbucketRedirects(fake.url)],
  });
  const server = app.listen(0, "127.0.0.1");
  await new Promise((resolve) => server.once("listening", resolve));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;

  async function login(): Promise<string> {
    const start = await fetch(`${base}/login/bitbucket`, { redirect: "manual" });
    const stateCookie = (start.headers.getSetCookie()[0] ?? "").split(";")[0] ?? "";
    const approved = await fetch(start.headers.get("location") ?? "", { redirect: "manual" });
    const callback = new URL(approved.headers.get("location") ?? "");
    const done = await fetch(`${base}${callback.pathname}${callback.search}`, {
      redirect: "manual",
      headers: { cookie: stateCookie },
    });
    const session = done.headers.getSetCookie().find((line) => line.startsWith("auth_session="));
    if (done.status !== 302 || !session) throw new Error(`the login ended with ${done.status}`);
    return session.split(";")[0] ?? "";
  }

  return {
    base,
    fake,
    login,
    get: (path: string, cookie = "") => fetch(`${base}${path}`, { headers: { cookie } }),
    async close() {
      await new Promise((resolve) => server.close(resolve));
      unroute();
      await fake.close();
    },
  };
}
