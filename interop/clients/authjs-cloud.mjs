// Auth.js (@auth/express) with its own Bitbucket provider, against the fake Bitbucket Cloud: the
// provider's endpoints are bitbucket.org's, unchanged, and routeBitbucketTo sends the process's
// calls to them to the fake, as an app's tests would. A browser's sign-in: CSRF token, POST
// signin, authorize, callback, and the session Auth.js then reports.
import express from "express";
import { ExpressAuth } from "@auth/express";
import Bitbucket from "@auth/express/providers/bitbucket";
import { routeBitbucketTo, startFakeBitbucket } from "../../dist/testing/index.js";
import { approve, cookieJar, expectOk } from "./browser.mjs";

export async function authjsCloud() {
  const app = express();
  app.set("trust proxy", true);
  app.use(
    "/auth",
    ExpressAuth({
      providers: [Bitbucket({ clientId: "fake-client-id", clientSecret: "fake-client-secret" })],
      secret: "interop-secret-0123456789abcdef0123456789",
      trustHost: true,
    }),
  );
  const server = app.listen(0, "127.0.0.1");
  await new Promise((resolve) => server.once("listening", resolve));
  const base = `http://127.0.0.1:${server.address().port}`;
  const fake = await startFakeBitbucket({ callbackUrl: `${base}/auth/callback/bitbucket` });
  const unroute = routeBitbucketTo(fake.url);
  try {
    const jar = cookieJar();
    const get = (path) => fetch(`${base}${path}`, { redirect: "manual", headers: { cookie: jar.header() } });
    const { csrfToken } = await (await expectOk(jar.take(await get("/auth/csrf")), "csrf")).json();
    const signin = jar.take(
      await fetch(`${base}/auth/signin/bitbucket`, {
        method: "POST",
        redirect: "manual",
        headers: { cookie: jar.header(), "content-type": "application/x-www-form-urlencoded" },
        body: new URLSearchParams({ csrfToken, callbackUrl: `${base}/` }),
      }),
    );
    const authorize = signin.headers.get("location") ?? "";
    if (!authorize.startsWith("https://bitbucket.org/site/oauth2/authorize"))
      throw new Error(`signin sent the browser to ${authorize || signin.status}`);
    const back = await approve(authorize.replace("https://bitbucket.org", fake.url));
    const done = jar.take(await get(back.pathname + back.search));
    if (done.status !== 302 || (done.headers.get("location") ?? "").includes("error"))
      throw new Error(`callback answered ${done.status} to ${done.headers.get("location")}`);
    const session = await (await expectOk(await get("/auth/session"), "session")).json();
    // The provider asks for `account` only and maps display_name and the avatar (no email).
    if (!session?.user?.name || !session.user.image)
      throw new Error(`no session: ${JSON.stringify(session)}`);
    return `signed in as ${session.user.name}, with the avatar`;
  } finally {
    unroute();
    await fake.close();
    await new Promise((resolve) => server.close(resolve));
  }
}
