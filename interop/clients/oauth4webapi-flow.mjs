// The code flow both oauth4webapi clients run, as its docs show it: a state, the authorize URL,
// the browser's approval, the callback's checks, then the code exchange.
import * as oauth from "oauth4webapi";
import { approve } from "./browser.mjs";

export const REDIRECT_URI = "http://127.0.0.1:8080/callback";
// The fakes are plain http on loopback; oauth4webapi asks for this to allow it.
export const insecure = { [oauth.allowInsecureRequests]: true };
export const client = { client_id: "fake-client-id" };

/**
 * Signs in at `as` and returns the token answer. `params` are the authorize URL's own (scope,
 * PKCE); `verifier` is the PKCE verifier, or `oauth.nopkce`.
 */
export async function codeFlow(as, clientAuth, params, verifier) {
  const state = oauth.generateRandomState();
  const url = new URL(as.authorization_endpoint);
  url.search = new URLSearchParams({
    client_id: client.client_id,
    redirect_uri: REDIRECT_URI,
    response_type: "code",
    state,
    ...params,
  }).toString();
  const callback = oauth.validateAuthResponse(as, client, await approve(url.href), state);
  return oauth.processAuthorizationCodeResponse(
    as,
    client,
    await oauth.authorizationCodeGrantRequest(
      as,
      client,
      clientAuth,
      callback,
      REDIRECT_URI,
      verifier,
      insecure,
    ),
  );
}
