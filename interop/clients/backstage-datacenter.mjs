// Backstage's Bitbucket Server auth provider (passport-oauth2 underneath) against the fake Data
// Center over https, as Backstage only speaks https to its host: authorize, the code exchange with
// the credentials in the body, then the provider's own profile calls, applinks/whoami (for
// X-AUSERNAME) and /rest/api/latest/users/{name}?avatarSize=256.
import { readFileSync } from "node:fs";
import { bitbucketServerAuthenticator } from "@backstage/plugin-auth-backend-module-bitbucket-server-provider";
import { startFakeDataCenter } from "../../dist/testing/index.js";
import { approve } from "./browser.mjs";

const CALLBACK = "http://127.0.0.1:7007/api/auth/bitbucketServer/handler/frame";

export async function backstageDataCenter() {
  const dc = await startFakeDataCenter({
    redirectUris: [CALLBACK],
    tls: { key: readFileSync(process.env.INTEROP_TLS_KEY), cert: readFileSync(process.env.INTEROP_TLS_CERT) },
  });
  try {
    // Backstage reads these from app-config.yaml (auth.providers.bitbucketServer.development).
    const settings = {
      clientId: "fake-client-id",
      clientSecret: "fake-client-secret",
      host: dc.url.replace(/^https:\/\//, ""), // host and context path, as Backstage joins them
    };
    const config = { getString: (k) => settings[k], getOptionalString: (k) => settings[k] };
    const ctx = await bitbucketServerAuthenticator.initialize({ callbackUrl: CALLBACK, config });
    // The request Backstage's router hands over: passport reads its host and query.
    const request = (url) => ({
      method: "GET",
      url: url.pathname + url.search,
      query: Object.fromEntries(url.searchParams),
      headers: { host: url.host },
      connection: {},
    });
    const { url } = await bitbucketServerAuthenticator.start(
      { req: request(new URL(CALLBACK)), scope: "PUBLIC_REPOS", state: "backstage-state" },
      ctx,
    );
    const back = await approve(url);
    if (back.searchParams.get("state") !== "backstage-state") throw new Error(`state not echoed: ${back}`);
    const result = await bitbucketServerAuthenticator.authenticate({ req: request(back) }, ctx);
    const { username, photos } = result.fullProfile;
    if (!photos?.[0]?.value) throw new Error("no avatar in the profile");
    return `signed in as ${username} (profile from whoami and the user record, with its avatar)`;
  } finally {
    await dc.close();
  }
}
