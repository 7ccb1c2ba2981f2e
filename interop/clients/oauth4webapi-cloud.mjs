// oauth4webapi against the fake Bitbucket Cloud: no PKCE (Cloud has none), the client
// authenticated by HTTP Basic with both halves form-encoded (RFC 6749 §2.3.1), then /2.0/user.
import * as oauth from "oauth4webapi";
import { startFakeBitbucket } from "../../dist/testing/index.js";
import { expectOk } from "./browser.mjs";
import { codeFlow, REDIRECT_URI } from "./oauth4webapi-flow.mjs";

export async function oauth4webapiCloud() {
  const fake = await startFakeBitbucket({ callbackUrl: REDIRECT_URI });
  try {
    const as = {
      issuer: "https://bitbucket.org",
      authorization_endpoint: `${fake.url}/site/oauth2/authorize`,
      token_endpoint: `${fake.url}/site/oauth2/access_token`,
    };
    const tokens = await codeFlow(as, oauth.ClientSecretBasic("fake-client-secret"), {}, oauth.nopkce);
    const user = await expectOk(
      await fetch(`${fake.url}/2.0/user`, { headers: { authorization: `Bearer ${tokens.access_token}` } }),
      "/2.0/user",
    );
    return `signed in as ${(await user.json()).nickname}`;
  } finally {
    await fake.close();
  }
}
