import type { IncomingMessage, ServerResponse } from "node:http";
import { html, json, readBody } from "../http/fake-http.js";
import { basicCredentials } from "../http/basic-auth.js";
import { LINK_SCOPES, sha256, type FakeDataCenterStore } from "./fake-dc-store.js";

const KNOWN_SCOPES = new Set([
  "PUBLIC_REPOS",
  "REPO_READ",
  "REPO_WRITE",
  "REPO_ADMIN",
  "PROJECT_ADMIN",
  "ACCOUNT_WRITE",
]);

const oauthError = (res: ServerResponse, status: number, error: string, description: string) =>
  json(res, status, { error, error_description: description });

/**
 * `GET /rest/oauth2/latest/authorize`: every answer that goes back to the app is a 303 (as the
 * provider plugin answers), with `Cache-Control: no-store`; an unknown client, or a redirect URI
 * that is not absolute or not exactly one the client registered (none: every one refused), gets
 * Bitbucket's own error page and no redirect.
 */
export function authorize(store: FakeDataCenterStore, query: URLSearchParams, res: ServerResponse): void {
  const redirectUri = query.get("redirect_uri") ?? "";
  let target: URL;
  try {
    target = new URL(redirectUri);
  } catch {
    return html(res, 400, "<h1>Invalid redirect_uri</h1>");
  }
  const client = store.client(query.get("client_id"));
  if (!client || target.hash) return html(res, 400, "<h1>Invalid client_id</h1>");
  if (!(client.redirectUris ?? []).includes(redirectUri))
    return html(res, 400, "<h1>Invalid redirect_uri</h1>");
  const back = (params: Record<string, string>) => {
    for (const [k, v] of Object.entries(params)) target.searchParams.set(k, v);
    const state = query.get("state");
    if (state) target.searchParams.set("state", state);
    res.writeHead(303, { Location: target.href, "Cache-Control": "no-store" }).end();
  };
  if (query.get("response_type") !== "code")
    return back({ error: "unsupported_response_type", error_description: "Only code is supported" });
  const scopes = (query.get("scope") ?? "").split(" ").filter(Boolean);
  if (scopes.some((s) => !KNOWN_SCOPES.has(s)))
    return back({ error: "invalid_scope", error_description: "Unknown scope" });
  if (store.approver === "deny") return back({ error: "access_denied", error_description: "Denied" });
  const challenge = query.get("code_challenge");
  const code = store.issueCode({
    clientId: client.clientId,
    scopes: scopes.length > 0 ? scopes : (client.scopes ?? LINK_SCOPES),
    redirectUri,
    userId: store.approver,
    challenge,
    // The plugin's default when a challenge comes without a method.
    method: (query.get("code_challenge_method") ?? "plain").toUpperCase(),
  });
  back({ code });
}

/**
 * The client's id and secret from HTTP Basic (see basicCredentials) or from the parameters; `null`
 * when a request uses both methods, which RFC 6749 §2.3 forbids.
 */
function clientCredentials(
  authorization: string | undefined,
  params: URLSearchParams,
  acceptBasic: boolean,
): { readonly id: string | null; readonly secret: string | null } | null {
  const basic = acceptBasic ? basicCredentials(authorization) : undefined;
  if (basic === undefined) return { id: params.get("client_id"), secret: params.get("client_secret") };
  if (params.has("client_secret")) return null;
  return basic ?? { id: null, secret: null };
}

/**
 * `POST /rest/oauth2/latest/token`. Its parameters come form-encoded in the body or in the query
 * string (as in Atlassian's own example), and the client's credentials in the body or by HTTP Basic
 * (both at once is `invalid_request`). The checks run in the provider plugin's order: required
 * fields, a replayed code (which revokes that code's tokens), an unknown code, the exact redirect
 * URI, the client, PKCE, the secret.
 */
export async function token(
  store: FakeDataCenterStore,
  req: IncomingMessage,
  res: ServerResponse,
  acceptBasic: boolean,
) {
  const query = new URL(req.url ?? "/", "http://fake").searchParams;
  const form = new URLSearchParams([...new URLSearchParams(await readBody(req)), ...query]);
  const credentials = clientCredentials(req.headers.authorization, form, acceptBasic);
  if (!credentials)
    return oauthError(res, 400, "invalid_request", "Use one client authentication method, not several");
  const grant = form.get("grant_type");
  if (grant === "refresh_token") {
    const client = store.client(credentials.id);
    if (!client || credentials.secret !== client.clientSecret)
      return oauthError(res, 401, "invalid_client", "Client authentication failed");
    const fresh = store.refresh(form.get("refresh_token") ?? "", client.clientId);
    if (!fresh) return oauthError(res, 400, "invalid_grant", "Invalid refresh token");
    return json(res, 200, fresh);
  }
  if (grant !== "authorization_code")
    return oauthError(res, 400, "unsupported_grant_type", "Unsupported grant");
  const codeValue = form.get("code");
  if (!codeValue || !form.get("redirect_uri") || !credentials.id)
    return oauthError(res, 400, "invalid_request", "Missing parameters");
  const code = store.codes.get(codeValue);
  if (code?.used) {
    for (const access of code.tokens) store.grants.delete(access);
    return oauthError(res, 400, "invalid_grant", "Authorization code already used");
  }
  if (!code || code.expiresAt <= Date.now()) return oauthError(res, 400, "invalid_request", "Unknown code");
  if (form.get("redirect_uri") !== code.redirectUri)
    return oauthError(res, 400, "invalid_grant", "redirect_uri does not match");
  if (credentials.id !== code.clientId)
    return oauthError(res, 400, "invalid_grant", "Code issued to another client");
  if (code.challenge !== null) {
    const verifier = form.get("code_verifier") ?? "";
    const expected = code.method === "S256" ? sha256(verifier) : verifier;
    if (!/^[A-Za-z0-9._~-]{43,128}$/.test(verifier) || expected !== code.challenge)
      return oauthError(res, 400, "invalid_grant", "PKCE verification failed");
  }
  if (credentials.secret !== store.client(code.clientId)?.clientSecret)
    return oauthError(res, 401, "invalid_client", "Client authentication failed");
  code.used = true;
  res.setHeader("Pragma", "no-cache");
  json(res, 200, store.issueTokens(code.userId, code.clientId, code.scopes, code));
}
