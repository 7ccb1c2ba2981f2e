import type { IncomingMessage, ServerResponse } from "node:http";
import { isControl, startFakeServer, wait } from "../shared/fake-server.js";
import { readBody } from "../http/fake-http.js";
import { dataCenterControl } from "./fake-dc-control.js";
import { applyFault, whoami } from "./fake-dc-answers.js";
import { authorize, token } from "./fake-dc-oauth.js";
import { rest, send as sendAs, type UserNameEncoding } from "./fake-dc-rest.js";
import { DEFAULT_FAKE_DATACENTER_CLIENT, DEFAULT_FAKE_DATACENTER_USERS } from "./fake-dc-fixtures.js";
import { FakeDataCenterStore } from "./fake-dc-store.js";
import type {
  FakeDataCenter,
  FakeDataCenterEndpoint,
  FakeDataCenterFault,
  FakeDataCenterOptions,
} from "./fake-dc-types.js";

const ALLOW: Readonly<Record<string, string>> = { authorize: "GET", token: "POST" };

function endpointOf(path: string): FakeDataCenterEndpoint | null {
  if (path === "/rest/oauth2/latest/authorize") return "authorize";
  if (path === "/rest/oauth2/latest/token") return "token";
  if (path === "/rest/api/latest/application-properties") return "application-properties";
  if (path.startsWith("/rest/api/latest/users")) return "users";
  if (path === "/rest/api/latest/repos" || /^\/rest\/api\/latest\/projects\/[^/]+\/repos/.test(path))
    return "repos";
  if (path.startsWith("/rest/api/latest/projects")) return "projects";
  if (path === "/plugins/servlet/applinks/whoami") return "whoami";
  return null;
}

/**
 * Starts a fake Bitbucket Data Center on loopback, under a context path (default `/bitbucket`):
 * the OAuth 2.0 provider (303 authorize, a token endpoint with PKCE, the exact redirect URI,
 * single-use codes whose replay revokes their tokens, credentials in the form body, rotating
 * refresh), `X-AUSERNAME`/`X-AUSERID` on every authenticated answer, users (one whose slug is not
 * the name, a non-ASCII one, an inactive one, a `SERVICE` one), projects and repositories with
 * per-user permissions and paged lists, and faults on every endpoint.
 *
 * @example
 * const dc = await startFakeDataCenter({ redirectUris: [redirectUri] });
 * app.use(bitbucketRouter(auth, { serverUrl: dc.url, ...DEFAULT_FAKE_DATACENTER_CLIENT, redirectUri }));
 */
export async function startFakeDataCenter(options: FakeDataCenterOptions = {}): Promise<FakeDataCenter> {
  const contextPath = (options.contextPath ?? "/bitbucket").replace(/\/+$/, "");
  if (options.clients !== undefined && options.redirectUris !== undefined)
    throw new TypeError(
      "startFakeDataCenter: redirectUris are the default client's; give each of clients its own.",
    );
  const store = new FakeDataCenterStore(
    options.users ?? DEFAULT_FAKE_DATACENTER_USERS,
    options.projects,
    options.clients ?? [{ ...DEFAULT_FAKE_DATACENTER_CLIENT, redirectUris: options.redirectUris }],
  );
  const maxPageSize = options.maxPageSize ?? 1000;
  const encoding: UserNameEncoding = options.userNameEncoding ?? "percent";
  const send = (...args: Parameters<typeof sendAs>) =>
    sendAs(args[0], args[1], args[2], args[3], args[4] ?? encoding);
  let faults: FakeDataCenterFault[] = [];
  let latencyMs = options.latencyMs ?? 0;
  let base = "";
  const hits: Record<FakeDataCenterEndpoint, number> = {
    authorize: 0,
    token: 0,
    "application-properties": 0,
    users: 0,
    projects: 0,
    repos: 0,
    whoami: 0,
  };

  // Filled in once the fake's object exists, which is before anyone knows its port.
  const controls: { current?: Parameters<typeof dataCenterControl>[0] } = {};
  const handle = async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    const url = new URL(req.url ?? "/", "http://fake");
    // The fake's own controls (curl's, not a client's): at the root and under the context path, not logged.
    const c = controls.current;
    if (isControl(req) && c) return dataCenterControl(c, req, res, url, await readBody(req));
    // Every other answer waits, ending early when the client gives up.
    if (latencyMs > 0) await wait(latencyMs, res);
    if (res.destroyed) return;
    if (contextPath && !url.pathname.startsWith(`${contextPath}/`))
      return void res.writeHead(404, { "Content-Type": "text/plain" }).end("Not under the context path");
    const path = url.pathname.slice(contextPath.length);
    const endpoint = endpointOf(path);
    const method = endpoint && Object.hasOwn(ALLOW, endpoint) ? ALLOW[endpoint] : "GET";
    if (req.method !== method) return void res.writeHead(405, { Allow: method ?? "GET" }).end();
    if (endpoint) hits[endpoint]++;
    const fault = endpoint ? faults.find((f) => f.endpoint === endpoint) : undefined;
    if (fault?.times !== undefined) {
      faults = faults.flatMap((f) =>
        f !== fault ? [f] : f.times! > 1 ? [{ ...f, times: f.times! - 1 }] : [],
      );
    }
    if (fault && fault.kind !== "headers" && fault.kind !== "json") return applyFault(fault, res);
    const isRest = path.startsWith("/rest/api/latest/");
    const user = isRest ? store.viewer(req.headers.authorization) : undefined;
    if (fault?.kind === "json") return send(res, { status: fault.status ?? 200, body: fault.body }, user);
    if (endpoint === "authorize") return authorize(store, url.searchParams, res);
    if (endpoint === "token")
      return token(store, req, res, options.acceptBasic ?? true).catch(() => void res.destroy());
    if (endpoint === "whoami") return whoami(res, store, req.headers.authorization, base, options);
    if (!isRest) return send(res, { status: 404, body: { errors: [] } }, undefined);
    send(
      res,
      rest(store, user, path.slice("/rest/api/latest".length), url.searchParams, base, maxPageSize),
      user,
      fault?.kind === "headers" ? fault : undefined,
    );
  };
  // A guess, not observed: an unexpected failure answers 500 in the REST error envelope.
  const server = await startFakeServer(
    { port: options.port, controlPrefix: contextPath, tls: options.tls },
    handle,
    (res) =>
      send(
        res,
        {
          status: 500,
          body: { errors: [{ context: null, message: "Internal error", exceptionName: null }] },
        },
        undefined,
      ),
  );
  base = `${server.origin}${contextPath}`;

  const byName = (name: string) => {
    const user = store.users.find((u) => u.name === name);
    if (!user) throw new Error(`fake Data Center: no user named ${JSON.stringify(name)}`);
    return user;
  };
  const fake: FakeDataCenter = {
    url: base,
    requests: server.requests,
    hits,
    openRequests: server.openRequests,
    whenNoOpenRequests: server.whenNoOpenRequests,
    approveAs: (name) => void (store.approver = byName(name).id),
    deny: () => void (store.approver = "deny"),
    renameUser(id, change) {
      store.users = store.users.map((u) => (u.id === id ? { ...u, ...change } : u));
    },
    setPermission(name, resource, permission) {
      const user = byName(name);
      const field = resource.includes("/") ? "repositories" : "projects";
      const next = { ...user[field] };
      if (permission === null) delete next[resource];
      else next[resource] = permission;
      store.users = store.users.map((u) => (u.id === user.id ? { ...u, [field]: next } : u));
    },
    setFault: (fault) => void faults.push(fault),
    clearFaults: () => void (faults = []),
    setLatency: (ms) => void (latencyMs = ms),
    expireAccessTokens() {
      for (const grant of store.grants.values()) grant.expiresAt = 0;
    },
    close: server.close,
  };
  controls.current = fake;
  return fake;
}
