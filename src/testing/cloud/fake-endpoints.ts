import type { IncomingMessage, ServerResponse } from "node:http";
import { consentPage, errorPage } from "./fake-pages.js";
import { html, json, readBody, redirectBack } from "../http/fake-http.js";
import { CLOUD_CHALLENGE } from "./fake-challenge.js";
import { basicCredentials } from "../http/basic-auth.js";
import type { FakeStore } from "./fake-store.js";
import type { FakeDecision } from "./fake-types.js";

/** What the endpoints share with the server that hosts them. */
export interface FakeContext {
  readonly store: FakeStore;
  readonly scopeField: "scope" | "scopes";
  readonly accessTokenTtl: number;
  decision(): FakeDecision;
}

const MISCONFIGURED = "This integration is misconfigured. Contact the vendor for assistance.";

/**
 * `GET /site/oauth2/authorize` (and the consent page's POST, whose form is `query`): HTML errors for
 * a bad consumer, else a 302 back with a code or an error.
 */
export function authorize(
  ctx: FakeContext,
  req: IncomingMessage,
  res: ServerResponse,
  query: URLSearchParams,
) {
  const client = ctx.store.clients.get(query.get("client_id") ?? "");
  if (!client) return html(res, 400, errorPage("Invalid client_id", MISCONFIGURED));
  const redirectUri = query.get("redirect_uri") ?? undefined;
  const target = redirectUri ?? client.callbackUrl;
  if (!target)
    return html(res, 400, errorPage("Invalid redirect_uri", "No callback uri defined for the OAuth client."));
  // Bitbucket checks a prefix of the registered callback URL, not an exact match. A consumer with
  // no callback URL takes no redirect_uri at all: a guess, since Bitbucket asks for the URL when
  // the consumer is made, and a fake must never be kinder than the service.
  if (
    redirectUri !== undefined &&
    (client.callbackUrl === undefined || !redirectUri.startsWith(client.callbackUrl))
  ) {
    return html(res, 400, errorPage("Invalid redirect_uri", MISCONFIGURED));
  }
  if (query.get("response_type") !== "code") {
    return redirectBack(res, target, query, { error: "unsupported_response_type" });
  }
  const uuid = ctx.store.defaultUser;
  const user = uuid === undefined ? undefined : ctx.store.users.get(uuid);
  const choice = req.method === "POST" ? query.get("decision") : ctx.decision();
  if (choice === "auto" && (req.headers.accept ?? "").includes("text/html") && user) {
    return html(res, 200, consentPage(query, client.clientId, user.display_name ?? user.uuid));
  }
  if (choice === "deny" || !user) {
    return redirectBack(res, target, query, {
      error: "access_denied",
      error_description: "The user denied access.",
    });
  }
  redirectBack(res, target, query, { code: ctx.store.issueCode(client, redirectUri, user.uuid) });
}

/** `POST /site/oauth2/access_token`: Basic client auth, form body, `authorization_code` and `refresh_token` grants. */
export async function token(ctx: FakeContext, req: IncomingMessage, res: ServerResponse) {
  const client = basicClient(req.headers.authorization, ctx.store);
  if (!client) {
    return json(
      res,
      401,
      {
        error_description: "Requests must be authenticated using OAuth client credentials",
        error: "unauthorized_client",
      },
      CLOUD_CHALLENGE,
    );
  }
  if (!(req.headers["content-type"] ?? "").startsWith("application/x-www-form-urlencoded")) {
    return json(res, 400, {
      error: "invalid_request",
      error_description: "Body must be application/x-www-form-urlencoded.",
    });
  }
  const form = new URLSearchParams(await readBody(req));
  const grantType = form.get("grant_type");
  let grant;
  if (grantType === "authorization_code") {
    grant = ctx.store.redeemCode(
      form.get("code") ?? "",
      client.clientId,
      form.get("redirect_uri") ?? undefined,
    );
    if (!grant)
      return json(res, 400, {
        error: "invalid_grant",
        error_description: "Invalid or expired authorization code.",
      });
  } else if (grantType === "refresh_token") {
    grant = ctx.store.redeemRefreshToken(form.get("refresh_token") ?? "", client.clientId);
    if (!grant)
      return json(res, 400, { error_description: "Invalid refresh_token", error: "invalid_request" });
  } else {
    return json(res, 400, {
      error: "unsupported_grant_type",
      error_description: `Unsupported grant type: ${grantType ?? ""}`,
    });
  }
  const tokens = ctx.store.issueTokens({ clientId: client.clientId, uuid: grant.uuid, scopes: grant.scopes });
  json(res, 200, {
    access_token: tokens.accessToken,
    [ctx.scopeField]: grant.scopes.join(" "),
    expires_in: ctx.accessTokenTtl,
    refresh_token: tokens.refreshToken,
    token_type: "bearer",
    state: grantType,
  });
}

/** The client of an HTTP Basic header (see basicCredentials), if its secret is the client's. */
function basicClient(header: string | undefined, store: FakeStore) {
  const credentials = basicCredentials(header);
  const client = credentials ? store.clients.get(credentials.id) : undefined;
  return client && client.clientSecret === credentials?.secret ? client : undefined;
}
