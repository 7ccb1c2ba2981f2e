import type { IncomingMessage, ServerResponse } from "node:http";
import { startFakeServer, wait } from "../shared/fake-server.js";
import { api } from "./fake-api.js";
import { authorize, token, type FakeContext } from "./fake-endpoints.js";
import { control } from "../http/fake-control.js";
import { json, readBody } from "../http/fake-http.js";
import { FakeStore } from "./fake-store.js";
import { applyFault, takeFault, type FaultBox } from "./fake-faults.js";
import type { FakeBitbucket, FakeBitbucketOptions, FakeDecision, FakeEndpoint } from "./fake-types.js";

/** The workspace the default user owns: slug `fake-team`, name "Fake Team". */
export const DEFAULT_FAKE_WORKSPACE = {
  slug: "fake-team",
  uuid: "{5b7e2a10-3c4d-4e5f-8a6b-7c8d9e0f1a2b}",
  name: "Fake Team",
} as const;

/**
 * The consumer the fake knows by default, with the callback URL given as `callbackUrl` to
 * {@link startFakeBitbucket}. Spread it into the router's options: `{ ...DEFAULT_FAKE_CLIENT, redirectUri }`.
 */
export const DEFAULT_FAKE_CLIENT = {
  clientId: "fake-client-id",
  clientSecret: "fake-client-secret",
} as const;
/**
 * The account that approves by default: "Ada Fake", with one primary, confirmed address, a member of
 * `fake-team` (role `member`) who can read `fake-team/handbook`.
 */
export const DEFAULT_FAKE_USER = {
  uuid: "{4a2f6c1e-8b7d-4e0a-9c3f-1d2e3f4a5b6c}",
  display_name: "Ada Fake",
  nickname: "ada",
  emails: [{ email: "ada@fake-bitbucket.test", is_primary: true, is_confirmed: true }],
  workspaces: { "fake-team": "member" },
  repositories: ["fake-team/handbook"],
} as const;

/** A second account, in no workspace and with no repository: the outsider of the examples. */
export const FAKE_OUTSIDER_USER = {
  uuid: "{9e8d7c6b-5a49-4382-a716-0f1e2d3c4b5a}",
  display_name: "Eve Outsider",
  nickname: "eve",
  emails: [{ email: "eve@fake-bitbucket.test", is_primary: true, is_confirmed: true }],
} as const;

// Removed by Atlassian in 2026 (CHANGE-2770): they answer 410, and /2.0/teams 404.
const RETIRED = new Set([
  "/2.0/workspaces",
  "/2.0/user/permissions/workspaces",
  "/2.0/user/permissions/repositories",
  "/2.0/repositories",
]);

/**
 * Starts a fake Bitbucket Cloud on loopback: authorize, `access_token` (Basic auth, form body,
 * single-use codes, rotating refresh tokens), `/2.0/user`, `/2.0/user/emails`, the workspace
 * permission and repository endpoints the `allow` rules ask, with the error shapes of the real
 * service and injectable faults. Send the router's Cloud calls to it with `routeBitbucketTo`.
 *
 * @example
 * const fake = await startFakeBitbucket({ callbackUrl: "http://localhost/login/bitbucket/callback" });
 * const unroute = routeBitbucketTo(fake.url);
 * // ... log in with clientId "fake-client-id" and clientSecret "fake-client-secret" ...
 * unroute();
 * await fake.close();
 */
export async function startFakeBitbucket(options: FakeBitbucketOptions = {}): Promise<FakeBitbucket> {
  const store = new FakeStore((options.accessTokenTtl ?? 7200) * 1000);
  for (const ws of options.workspaces ?? [DEFAULT_FAKE_WORKSPACE]) store.addWorkspace(ws);
  if (options.clients !== undefined && options.callbackUrl !== undefined)
    throw new TypeError(
      "startFakeBitbucket: callbackUrl is the default consumer's; give each of clients its own.",
    );
  const clients = options.clients ?? [{ ...DEFAULT_FAKE_CLIENT, callbackUrl: options.callbackUrl }];
  for (const client of clients) store.clients.set(client.clientId, client);
  for (const user of options.users ?? [DEFAULT_FAKE_USER, FAKE_OUTSIDER_USER]) store.addUser(user);
  let decision: FakeDecision = options.decision ?? "auto";
  const ctx: FakeContext = {
    store,
    scopeField: options.scopeField ?? "scope",
    accessTokenTtl: options.accessTokenTtl ?? 7200,
    decision: () => decision,
  };
  const faults: FaultBox = { current: [] };
  const hits: Record<FakeEndpoint | "retired", number> = {
    authorize: 0,
    token: 0,
    user: 0,
    emails: 0,
    workspaces: 0,
    permission: 0,
    repository: 0,
    retired: 0,
  };
  let latencyMs = options.latencyMs ?? 0;
  const user = (id: string) => {
    const found = store.findUser(id);
    if (!found) throw new Error(`fake Bitbucket: no user ${id}`);
    return found;
  };
  const setDecision = (value: FakeDecision) => void (decision = value);
  const setDefaultUser = (id: string) => void (store.defaultUser = user(id).uuid);
  const setWorkspaceRole: FakeBitbucket["setWorkspaceRole"] = (id, workspace, role) =>
    store.setRole(user(id).uuid, workspace, role);

  const handle = async (req: IncomingMessage, res: ServerResponse) => {
    const url = new URL(req.url ?? "/", "http://fake.invalid");
    if (url.pathname.startsWith("/_fake/")) {
      return control({ setDecision, setDefaultUser, setWorkspaceRole }, req, res, url, await readBody(req));
    }
    const method = req.method ?? "GET";
    if (method === "GET" && (RETIRED.has(url.pathname) || /^\/2\.0\/teams(\/|$)/.test(url.pathname))) {
      hits.retired++;
      return url.pathname.startsWith("/2.0/teams")
        ? json(res, 404, { type: "error", error: { message: "Resource not found" } })
        : json(res, 410, {
            type: "error",
            error: { message: "This API has been removed. See CHANGE-2770." },
          });
    }
    const route = routeOf(method, url.pathname);
    if (!route) return json(res, 404, { type: "error", error: { message: "Resource not found" } });
    const { endpoint } = route;
    // The consent page's form posts its decision back to authorize; any other wrong method is a 405.
    const consent =
      endpoint === "authorize" && method === "POST" ? new URLSearchParams(await readBody(req)) : undefined;
    if (route.allowed && !consent?.has("decision")) return methodNotAllowed(res, method, route.allowed);
    hits[endpoint]++;
    if (latencyMs > 0) await wait(latencyMs, res);
    const fault = takeFault(faults, endpoint);
    if (fault && (await applyFault(fault, res))) return;
    if (endpoint === "authorize") return authorize(ctx, req, res, consent ?? url.searchParams);
    if (endpoint === "token") return token(ctx, req, res);
    return api(store, req, res, endpoint, url);
  };

  const server = await startFakeServer(options, handle, (res) =>
    json(res, 500, { type: "error", error: { message: "Something went wrong" } }),
  );

  return {
    url: server.origin,
    hits,
    requests: server.requests,
    addUser: (account) => store.addUser(account),
    setDefaultUser,
    approveAs: (id) => {
      setDefaultUser(id);
      // Back to how the fake started (or "auto", when it started denying).
      const initial = options.decision ?? "auto";
      if (decision === "deny") decision = initial === "deny" ? "auto" : initial;
    },
    deny: () => setDecision("deny"),
    clearFaults: () => void (faults.current = []),
    setWorkspaceRole,
    setLatency: (ms) => void (latencyMs = ms),
    setDecision,
    setFault: (fault) =>
      void (faults.current = fault
        ? [...faults.current.filter((f) => f.endpoint !== fault.endpoint), { ...fault }]
        : []),
    expireAccessTokens: () => store.expireAccessTokens(),
    revokeGrants: (id) => store.revokeGrants(user(id).uuid),
    openRequests: server.openRequests,
    whenNoOpenRequests: server.whenNoOpenRequests,
    close: server.close,
  };
}

// Each path the fake serves, and the one method it takes there (the consent page's own POST to
// authorize is told apart in `handle`).
const ROUTES: readonly (readonly [RegExp, FakeEndpoint, "GET" | "POST"])[] = [
  [/^\/site\/oauth2\/authorize$/, "authorize", "GET"],
  [/^\/site\/oauth2\/access_token$/, "token", "POST"],
  [/^\/2\.0\/user$/, "user", "GET"],
  [/^\/2\.0\/user\/emails$/, "emails", "GET"],
  [/^\/2\.0\/user\/workspaces$/, "workspaces", "GET"],
  [/^\/2\.0\/user\/workspaces\/[^/]+\/permission$/, "permission", "GET"],
  [/^\/2\.0\/repositories\/[^/]+\/[^/]+$/, "repository", "GET"],
];

/** 405 with `Allow`, in Bitbucket's error envelope: the answer says which method the path takes. */
function methodNotAllowed(res: ServerResponse, method: string, allowed: string): void {
  res.setHeader("Allow", allowed);
  json(res, 405, {
    type: "error",
    error: { message: `Method ${method} is not allowed here; this endpoint takes ${allowed}.` },
  });
}

/** The endpoint at `path`, and in `allowed` the method it takes when `method` is not that one. */
function routeOf(method: string, path: string): { endpoint: FakeEndpoint; allowed: string } | undefined {
  const route = ROUTES.find(([pattern]) => pattern.test(path));
  if (!route) return undefined;
  const [, endpoint, allowed] = route;
  return { endpoint, allowed: method === allowed ? "" : allowed };
}
