import { createServer, type IncomingMessage, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { api, authorize, token, type FakeContext } from "./fake-endpoints.js";
import { json, readBody } from "./fake-http.js";
import { FakeStore } from "./fake-store.js";
import { applyFault, takeFault, type FaultBox } from "./fake-faults.js";
import type { FakeBitbucket, FakeBitbucketOptions, FakeDecision, FakeEndpoint } from "./fake-types.js";

/** The consumer the fake knows by default; it accepts any `redirect_uri`. */
export const DEFAULT_FAKE_CLIENT = {
  clientId: "fake-client-id",
  clientSecret: "fake-client-secret",
} as const;
/** The account that approves by default: "Ada Fake", with one primary, confirmed address. */
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
  let decision: FakeDecision = options.decision ?? "auto";
  const ctx: FakeContext = {
    store,
    scopeField: options.scopeField ?? "scopes",
    accessTokenTtl: options.accessTokenTtl ?? 7200,
    decision: () => decision,
  };
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
    if (endpoint === "authorize") return authorize(ctx, req, res, url);
    if (endpoint === "token") return token(ctx, req, res);
    return api(ctx, req, res, endpoint, url);
  };

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
