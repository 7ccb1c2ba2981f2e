// oauth4webapi (panva), the library under openid-client, against the fake Data Center: PKCE S256,
// the client authenticated by HTTP Basic (RFC 6749's default) or in the body, then a refresh that
// rotates the refresh token, as a real instance does.
import * as oauth from "oauth4webapi";
import { startFakeDataCenter } from "../../dist/testing/index.js";
import { expectOk } from "./browser.mjs";
import { client, codeFlow, insecure, REDIRECT_URI } from "./oauth4webapi-flow.mjs";

/** @param {"basic" | "post"} method how the client authenticates at the token endpoint */
export async function oauth4webapiDataCenter(method) {
  const dc = await startFakeDataCenter({ redirectUris: [REDIRECT_URI] });
  try {
    const as = {
      issuer: dc.url,
      authorization_endpoint: `${dc.url}/rest/oauth2/latest/authorize`,
      token_endpoint: `${dc.url}/rest/oauth2/latest/token`,
    };
    const auth =
      method === "basic"
        ? oauth.ClientSecretBasic("fake-client-secret")
        : oauth.ClientSecretPost("fake-client-secret");
    const verifier = oauth.generateRandomCodeVerifier();
    const pkce = {
      code_challenge: await oauth.calculatePKCECodeChallenge(verifier),
      code_challenge_method: "S256",
    };
    const tokens = await codeFlow(as, auth, { scope: "PUBLIC_REPOS", ...pkce }, verifier);
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
