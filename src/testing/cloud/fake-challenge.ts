/**
 * What Bitbucket Cloud sends with every 401, the token endpoint's and the API's alike
 * (`../shared/bitbucket-api.md`, "What other clients expect"): a client that answers a challenge
 * reads its scheme here.
 */
export const CLOUD_CHALLENGE: Readonly<Record<string, string>> = {
  "WWW-Authenticate": 'Basic realm="Bitbucket.org HTTP"',
};
