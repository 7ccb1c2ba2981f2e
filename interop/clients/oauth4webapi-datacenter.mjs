// oauth4webapi (panva), the library under openid-client, against the fake Data Center: PKCE S256,
// the client authenticated by HTTP Basic (RFC 6749's default) or in the body, then a refresh that
// rotates the refresh token, as a real instance does.
import * as oauth from "oauth4webapi";
import { startFakeDataCenter } from "../../dist/testing/index.js";
import { approve, expectOk } from "./browser.mjs";

const REDIRECT_URI = "http://127.0.0.1:8080/callback";
// The fake is plain http on loopback; oauth4webapi asks for this to allow it.
const insecure = { [oauth.allowInsecureRequests]: true };

/** @param {"basic" | "post"} method how the client authenticates at the token endpoint */
export async function oauth4webapiDataCenter(method) {
  const dc = await startFakeDataCenter({ redirectUris: [REDIRECT_URI] });
  try {
    const as = {
      issuer: dc.url,
      authorization_endpoint: `${dc.url}/rest/oauth2/latest/authorize`,
      token_endpoint: `${dc.url}/rest/oauth2/latest/token`,
    };
    const client = { client_id: "fake-client-id" };
    const auth =
      method === "basic"
        ? oauth.ClientSecretBasic("fake-client-secret")
        : oauth.ClientSecretPost("fake-client-secret");
    const verifier = oauth.generateRandomCodeVerifier();
    const state = oauth.generateRandomState();
    const url = new URL(as.authorization_endpoint);
    url.search = new URLSearchParams({
      client_id: client.client_id,
      redirect_uri: REDIRECT_URI,
      response_type: "code",
      scope: "PUBLIC_REPOS",
      state,
      code_challenge: await oauth.calculatePKCECodeChallenge(verifier),
      code_challenge_method: "S256",
    }).toString();
    const params = oauth.validateAuthResponse(as, client, await approve(url.href), state);
    const tokens = await oauth.processAuthorizationCodeResponse(
      as,
      client,
      await oauth.authorizationCodeGrantRequest(as, client, auth, params, REDIRECT_URI, verifier, insecure),
    );
    const who = await expectOk(
      await fetch(`${dc.url}/plugins/servlet/applinks/whoami`, {
        headers: { authorization: `Bearer ${tokens.access_token}` },
      }),
      "whoami",
    );
    const name = await who.text();
    const refreshed = await oauth.processRefreshTokenResponse(
      as,
      client,
      await oauth.refreshTokenGrantRequest(as, client, auth, tokens.refresh_token, insecure),
    );
    if (!refreshed.refresh_token || refreshed.refresh_token === tokens.refresh_token)
      throw new Error("the refresh did not rotate the refresh token");
    return `signed in as ${name}; refresh rotated`;
  } finally {
    await dc.close();
  }
}
