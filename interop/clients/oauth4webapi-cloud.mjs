// oauth4webapi against the fake Bitbucket Cloud: no PKCE (Cloud has none), the client
// authenticated by HTTP Basic with both halves form-encoded (RFC 6749 §2.3.1), then /2.0/user.
import * as oauth from "oauth4webapi";
import { startFakeBitbucket } from "../../dist/testing/index.js";
import { approve, expectOk } from "./browser.mjs";

const REDIRECT_URI = "http://127.0.0.1:8080/callback";
const insecure = { [oauth.allowInsecureRequests]: true };

export async function oauth4webapiCloud() {
  const fake = await startFakeBitbucket({ callbackUrl: REDIRECT_URI });
  try {
    const as = {
      issuer: "https://bitbucket.org",
      authorization_endpoint: `${fake.url}/site/oauth2/authorize`,
      token_endpoint: `${fake.url}/site/oauth2/access_token`,
    };
    const client = { client_id: "fake-client-id" };
    const state = oauth.generateRandomState();
    const url = new URL(as.authorization_endpoint);
    url.search = new URLSearchParams({
      client_id: client.client_id,
      redirect_uri: REDIRECT_URI,
      response_type: "code",
      state,
    }).toString();
    const params = oauth.validateAuthResponse(as, client, await approve(url.href), state);
    const tokens = await oauth.processAuthorizationCodeResponse(
      as,
      client,
      await oauth.authorizationCodeGrantRequest(
        as,
        client,
        oauth.ClientSecretBasic("fake-client-secret"),
        params,
        REDIRECT_URI,
        oauth.nopkce,
        insecure,
      ),
    );
    const user = await expectOk(
      await fetch(`${fake.url}/2.0/user`, { headers: { authorization: `Bearer ${tokens.access_token}` } }),
      "/2.0/user",
    );
    return `signed in as ${(await user.json()).nickname}`;
  } finally {
    await fake.close();
  }
}
