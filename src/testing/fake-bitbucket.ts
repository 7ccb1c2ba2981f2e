import { createServer, type IncomingMessage, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { consentPage, errorPage } from "./fake-pages.js";
import { FakeStore, userJson } from "./fake-store.js";
import { applyFault, takeFault, type FaultBox } from "./fake-faults.js";
import type { FakeBitbucket, FakeBitbucketOptions, FakeDecision, FakeEndpoint } from "./fake-types.js";

const API_ERRORS = {
  invalid: "Token is invalid, expired, or not supported for this endpoint.",
  expired: "Access token expired. Use your refresh token to obtain a new access token.",
} as const;

export const DEFAULT_FAKE_CLIENT = {
  clientId: "fake-client-id",
  clientSecret: "fake-client-secret",
} as const;
export const DEFAULT_FAKE_USER = {
  uuid: "{4a2f6c1e-8b7d-4e0a-9c3f-1d2e3f4a5b6c}",
  display_name: "Ada Fake",
  nickname: "ada",
  emails: [{ email: "ada@fake-bitbucket.test", is_primary: true, is_confirmed: true }],
} as const;

/**
 * Starts a fake Bitbucket Cloud on loopback: authorize, `access_token` (Basic auth, form body,
 * single-use codes, rotating refresh tokens), `/2.0/user` and `/2.0/user/emails`, with the error
 * shapes of the real service and injectable faults. Route the provider to it with `routeBitbucketTo`.
 *
 * @example
 * const fake = await startFakeBitbucket();
 * const unroute = routeBitbucketTo(fake.url);
 * // ... log in with clientId "fake-client-id" and clientSecret "fake-client-secret" ...
 * unroute();
 * await fake.close();
 */
export async function startFakeBitbucket(options: FakeBitbucketOptions = {}): Promise<FakeBitbucket> {
  const store = new FakeStore((options.accessTokenTtl ?? 7200) * 1000);
  for (const client of options.clients ?? [DEFAULT_FAKE_CLIENT]) store.clients.set(client.clientId, client);
  for (const user of options.users ?? [DEFAULT_FAKE_USER]) store.addUser(user);
  const scopeField = options.scopeField ?? "scopes";
  let decision: FakeDecision = options.decision ?? "auto";
  const faults: FaultBox = { current: [] };
  const hits: Record<FakeEndpoint, number> = { authorize: 0, token: 0, user: 0, emails: 0 };

  const handle = async (req: IncomingMessage, res: ServerResponse) => {
    const url = new URL(req.url ?? "/", "http://fake.invalid");
    if (req.method === "POST" && url.pathname === "/_fake/decision") {
      const value = (await readBody(req)).trim();
      if (value !== "auto" && value !== "approve" && value !== "deny")
        return json(res, 400, { error: "auto, approve or deny" });
      decision = value;
      return json(res, 200, { decision });
    }
    const endpoint = endpointOf(req.method ?? "GET", url.pathname);
    if (!endpoint) return json(res, 404, { type: "error", error: { message: "Resource not found" } });
    hits[endpoint]++;
    const fault = takeFault(faults, endpoint);
    if (fault && (await applyFault(fault, res))) return;
    if (endpoint === "authorize") return authorize(req, res, url);
    if (endpoint === "token") return tokenEndpoint(req, res);
    return api(req, res, endpoint, url);
  };

  async function authorize(req: IncomingMessage, res: ServerResponse, url: URL) {
    const query = req.method === "POST" ? new URLSearchParams(await readBody(req)) : url.searchParams;
    const client = store.clients.get(query.get("client_id") ?? "");
    if (!client)
      return html(
        res,
        400,
        errorPage(
          "Invalid client_id",
          "This integration is misconfigured. Contact the vendor for assistance.",
        ),
      );
    const redirectUri = query.get("redirect_uri") ?? undefined;
    const target = redirectUri ?? client.callbackUrl;
    if (!target)
      return html(
        res,
        400,
        errorPage("Invalid redirect_uri", "No callback uri defined for the OAuth client."),
      );
    if (
      redirectUri !== undefined &&
      client.callbackUrl !== undefined &&
      !redirectUri.startsWith(client.callbackUrl)
    ) {
      return html(
        res,
        400,
        errorPage(
          "Invalid redirect_uri",
          "This integration is misconfigured. Contact the vendor for assistance.",
        ),
      );
    }
    if (query.get("response_type") !== "code") {
      return redirectBack(res, target, query, { error: "unsupported_response_type" });
    }
    const uuid = store.defaultUser;
    const user = uuid === undefined ? undefined : store.users.get(uuid);
    const choice = req.method === "POST" ? query.get("decision") : decision;
    if (choice === "auto" && (req.headers.accept ?? "").includes("text/html") && user) {
      return html(res, 200, consentPage(query, client.clientId, user.display_name ?? user.uuid));
    }
    if (choice === "deny" || !user) {
      return redirectBack(res, target, query, {
        error: "access_denied",
        error_description: "The user denied access.",
      });
    }
    redirectBack(res, target, query, { code: store.issueCode(client, redirectUri, user.uuid) });
  }

  async function tokenEndpoint(req: IncomingMessage, res: ServerResponse) {
    const unauthorized = {
      error_description: "Requests must be authenticated using OAuth client credentials",
      error: "unauthorized_client",
    };
    const client = basicClient(req.headers.authorization, store);
    if (!client) return json(res, 401, unauthorized);
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
      grant = store.redeemCode(
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
      grant = store.redeemRefreshToken(form.get("refresh_token") ?? "", client.clientId);
      if (!grant)
        return json(res, 400, { error_description: "Invalid refresh_token", error: "invalid_request" });
    } else {
      return json(res, 400, {
        error: "unsupported_grant_type",
        error_description: `Unsupported grant type: ${grantType ?? ""}`,
      });
    }
    const tokens = store.issueTokens({ clientId: client.clientId, uuid: grant.uuid, scopes: grant.scopes });
    json(res, 200, {
      access_token: tokens.accessToken,
      [scopeField]: grant.scopes.join(" "),
      expires_in: options.accessTokenTtl ?? 7200,
      refresh_token: tokens.refreshToken,
      token_type: "bearer",
      state: grantType,
    });
  }

  function api(req: IncomingMessage, res: ServerResponse, endpoint: "user" | "emails", url: URL) {
    const bearer = /^Bearer (.+)$/i.exec(req.headers.authorization ?? "")?.[1];
    const grant = bearer === undefined ? undefined : store.grantFor(bearer);
    if (grant === undefined) return json(res, 401, { type: "error", error: { message: API_ERRORS.invalid } });
    if (grant === "expired") return json(res, 401, { type: "error", error: { message: API_ERRORS.expired } });
    const needed = endpoint === "user" ? "account" : "email";
    if (!grant.scopes.includes(needed)) {
      return json(res, 403, {
        type: "error",
        error: {
          message: "Your credentials lack one or more required privilege scopes.",
          detail: { required: [needed], granted: grant.scopes },
        },
      });
    }
    const user = store.users.get(grant.uuid);
    if (!user) return json(res, 404, { type: "error", error: { message: "User not found" } });
    if (endpoint === "user") return json(res, 200, userJson(user));
    json(res, 200, emailsPage(user.emails ?? [], url.searchParams));
  }

  const server = createServer((req, res) => {
    handle(req, res).catch(() => {
      if (!res.headersSent) json(res, 500, { type: "error", error: { message: "Something went wrong" } });
      else res.destroy();
    });
  });
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(options.port ?? 0, options.host ?? "127.0.0.1", resolve);
  });
  const address = server.address() as AddressInfo;
  const host = address.family === "IPv6" ? `[${address.address}]` : address.address;

  return {
    url: `http://${host}:${address.port}`,
    hits,
    addUser: (user) => store.addUser(user),
    setDefaultUser: (uuid) => {
      if (!store.users.has(uuid)) throw new Error(`fake Bitbucket: no user ${uuid}`);
      store.defaultUser = uuid;
    },
    setDecision: (value) => void (decision = value),
    setFault: (fault) =>
      void (faults.current = fault
        ? [...faults.current.filter((f) => f.endpoint !== fault.endpoint), { ...fault }]
        : []),
    expireAccessTokens: () => store.expireAccessTokens(),
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}

function endpointOf(method: string, path: string): FakeEndpoint | undefined {
  if (path === "/site/oauth2/authorize" && (method === "GET" || method === "POST")) return "authorize";
  if (path === "/site/oauth2/access_token" && method === "POST") return "token";
  if (path === "/2.0/user" && method === "GET") return "user";
  if (path === "/2.0/user/emails" && method === "GET") return "emails";
  return undefined;
}

function emailsPage(
  all: NonNullable<FakeBitbucketOptions["users"]>[number]["emails"] & object,
  query: URLSearchParams,
) {
  const pagelen = Math.min(Math.max(Number(query.get("pagelen")) || 10, 1), 100);
  const page = Math.max(Number(query.get("page")) || 1, 1);
  const values = all.slice((page - 1) * pagelen, page * pagelen).map((e) => ({
    ...e,
    type: "email",
    links: { self: { href: `https://api.bitbucket.org/2.0/user/emails/${encodeURIComponent(e.email)}` } },
  }));
  const next =
    page * pagelen < all.length
      ? { next: `https://api.bitbucket.org/2.0/user/emails?page=${page + 1}&pagelen=${pagelen}` }
      : {};
  return { pagelen, values, page, size: all.length, ...next };
}

function basicClient(header: string | undefined, store: FakeStore) {
  const encoded = /^Basic (.+)$/i.exec(header ?? "")?.[1];
  if (!encoded) return undefined;
  const decoded = Buffer.from(encoded, "base64").toString();
  const colon = decoded.indexOf(":");
  const client = store.clients.get(decoded.slice(0, colon));
  return client && colon > 0 && client.clientSecret === decoded.slice(colon + 1) ? client : undefined;
}

function redirectBack(
  res: ServerResponse,
  target: string,
  query: URLSearchParams,
  params: Record<string, string>,
) {
  const location = new URL(target);
  for (const [key, value] of Object.entries(params)) location.searchParams.set(key, value);
  const state = query.get("state");
  if (state !== null) location.searchParams.set("state", state);
  res.writeHead(302, { Location: location.href, "Cache-Control": "no-store" }).end();
}

function readBody(req: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    let body = "";
    req.setEncoding("utf8");
    req.on("data", (chunk: string) => {
      body += chunk;
      if (body.length > 1_000_000) req.destroy();
    });
    req.on("end", () => resolve(body));
    req.on("error", reject);
  });
}

function json(res: ServerResponse, status: number, body: unknown): void {
  res.writeHead(status, { "Content-Type": "application/json; charset=utf-8", "Cache-Control": "no-store" });
  res.end(JSON.stringify(body));
}

function html(res: ServerResponse, status: number, body: string): void {
  res.writeHead(status, { "Content-Type": "text/html; charset=utf-8" }).end(body);
}
