import type { FakeServerRequest, FakeTls } from "../shared/fake-server.js";

/** A user of the fake Data Center. */
export interface FakeDataCenterUser {
  readonly id: number;
  readonly name: string;
  readonly slug: string;
  readonly displayName: string;
  readonly emailAddress: string;
  readonly active: boolean;
  readonly type: "NORMAL" | "SERVICE";
  /** Project permissions by key: `"read"`, `"write"` or `"admin"` (`PROJECT_READ`…). */
  readonly projects?: Readonly<Record<string, FakeDataCenterPermission>>;
  /** Repository permissions by `"KEY/slug"` (`REPO_READ`…); project permissions imply them. */
  readonly repositories?: Readonly<Record<string, FakeDataCenterPermission>>;
}

export type FakeDataCenterPermission = "read" | "write" | "admin";

/** A project of the fake Data Center, with the slugs of its repositories. */
export interface FakeDataCenterProject {
  readonly name: string;
  /** Open to public access: every account may read it and its repositories. */
  readonly public: boolean;
  readonly repos: readonly string[];
}

/** An OAuth client (an incoming application link) of the fake Data Center. */
export interface FakeDataCenterClient {
  readonly clientId: string;
  readonly clientSecret: string;
  /**
   * The redirect URIs registered for it, each compared exactly as a string, as the real provider
   * plugin compares them; a request with another gets Bitbucket's own error page, not a redirect.
   * Without any, every login is refused there: a real link always has its redirect URL.
   */
  readonly redirectUris?: readonly string[];
  /**
   * The scopes the link grants when an authorization asks for none. Default
   * `["PUBLIC_REPOS", "REPO_READ"]` (a guess: Atlassian says a blank scope means the link's
   * configured scope, and what a link is configured with varies).
   */
  readonly scopes?: readonly string[];
}

/** Which part of the fake a fault hits. */
export type FakeDataCenterEndpoint =
  "authorize" | "token" | "application-properties" | "users" | "projects" | "repos" | "whoami";

/** A fault on one endpoint, for `times` requests (default: until cleared). */
export type FakeDataCenterFault = { readonly endpoint: FakeDataCenterEndpoint; readonly times?: number } & (
  | { readonly kind: "status"; readonly status: number; readonly retryAfter?: number }
  | { readonly kind: "stall" }
  /** An HTML page (a proxy's or a starting instance's) with `status`, default 200, and no user headers. */
  | { readonly kind: "html"; readonly status?: number }
  /** On a REST endpoint, the answer as usual with these user headers instead (`null` leaves one out). */
  | { readonly kind: "headers"; readonly userName?: string | null; readonly userId?: string | null }
  /**
   * This JSON body (and `status`, default 200) instead of the usual answer, the user headers kept:
   * a malformed or endless page, a record without its fields, an odd token answer.
   */
  | { readonly kind: "json"; readonly body: unknown; readonly status?: number }
);

/** Options of {@link startFakeDataCenter}. */
export interface FakeDataCenterOptions {
  /**
   * A PEM key and certificate: the fake then serves https only, as production instances must
   * (Atlassian enforces https for the base URL and redirect URIs). The router's process must trust
   * the certificate (`NODE_EXTRA_CA_CERTS=cert.pem`); a throwaway self-signed pair will do.
   * Default: plain http on loopback.
   * @example const dc = await startFakeDataCenter({ tls: { key: readFileSync("key.pem"), cert: readFileSync("cert.pem") } });
   */
  readonly tls?: FakeTls;
  /** Default `0`: a port of the OS's choosing, on 127.0.0.1. */
  readonly port?: number;
  /** The instance's context path. Default `"/bitbucket"`; `""` serves at the root. */
  readonly contextPath?: string;
  /** Default {@link DEFAULT_FAKE_DATACENTER_USERS}. The first one approves unless told otherwise. */
  readonly users?: readonly FakeDataCenterUser[];
  /**
   * The OAuth clients it knows. Default: one, {@link DEFAULT_FAKE_DATACENTER_CLIENT} (the same id
   * and secret as the Cloud fake's), with the `redirectUris` below.
   */
  readonly clients?: readonly FakeDataCenterClient[];
  /**
   * The default client's registered redirect URIs, each compared exactly with `redirect_uri`, as
   * an incoming application link compares its one. Without them the default client refuses every
   * login on Bitbucket's own page. Not with `clients`.
   * @example const dc = await startFakeDataCenter({ redirectUris: ["http://localhost/login/bitbucket/callback"] });
   */
  readonly redirectUris?: readonly string[];
  /** Its projects by key. Default {@link DEFAULT_FAKE_DATACENTER_PROJECTS}: ENG, OPS and the public PUB. */
  readonly projects?: Readonly<Record<string, FakeDataCenterProject>>;
  /**
   * Whether the token endpoint takes client credentials by HTTP Basic as well as in the body.
   * Default `true`, so that clients on RFC 6749's default (oauth4webapi, openid-client) can be
   * tested. Public sources disagree: the provider plugin's token resource reads the form only, and
   * no instance was observed either way; `false` models the plugin as its source reads.
   */
  readonly acceptBasic?: boolean;
  /**
   * How tokens fare outside `/rest` and `/scm`, on `/plugins/servlet/applinks/whoami`:
   * `"accepted"` (default, as before 8.9.22) answers with the user's name; `"login-page"`
   * redirects a Bearer request to the login page, as Atlassian's KB "Access Tokens no longer work
   * as expected after upgrading Bitbucket Data Center" describes for 8.9.22, 8.19.12, 9.3.2 and later.
   */
  readonly tokensOutsideRest?: "accepted" | "login-page";
  /**
   * How `X-AUSERNAME` carries a name that is not plain ASCII: `"percent"` (default) encodes it,
   * `"utf-8"` sends the raw UTF-8 bytes. Which one a real instance sends is not known from public
   * sources (a guess either way); the router signs such a user in under both.
   */
  readonly userNameEncoding?: "percent" | "utf-8";
  /** The most entries a page holds, whatever `limit` asks. Default `1000`; `1` forces paging. */
  readonly maxPageSize?: number;
  /** Milliseconds every answer waits, as an instance far away would. Default `0`. */
  readonly latencyMs?: number;
}

/** One request the fake received, for tests that check where requests went. */
export interface FakeDataCenterRequest extends FakeServerRequest {
  readonly method: string;
  /** The path and query as sent, context path included. */
  readonly url: string;
  /** When it arrived (`performance.now()`, before any latency), for counting round trips. */
  readonly receivedAt: number;
  /** When its answer was done (`performance.now()`); `null` while it is still open. */
  readonly answeredAt: number | null;
}

/** A running fake Bitbucket Data Center. */
export interface FakeDataCenter {
  /** The base URL with its context path, e.g. `http://127.0.0.1:4321/bitbucket`: the `serverUrl`. */
  readonly url: string;
  /** Every request received (not the `/_fake/` controls), in order. */
  readonly requests: readonly FakeDataCenterRequest[];
  /** Counters of requests by endpoint, for assertions (as on the Cloud fake). */
  readonly hits: Readonly<Record<FakeDataCenterEndpoint, number>>;
  /**
   * How many requests the fake is still answering: a stalled body counts until the client hangs
   * up. For tests that no request (and so no socket) outlives its caller.
   */
  openRequests(): number;
  /** Resolves as soon as {@link FakeDataCenter.openRequests} is 0 (at once when it already is). */
  whenNoOpenRequests(): Promise<void>;
  /** Makes this user (by name) the one who approves the next authorizations. */
  approveAs(name: string): void;
  /** The next authorizations are denied (`error=access_denied`), until `approveAs`. */
  deny(): void;
  /** Changes a user's name, slug or email; the id stays, as on a real rename. */
  renameUser(id: number, change: Partial<Pick<FakeDataCenterUser, "name" | "slug" | "emailAddress">>): void;
  /** Sets (or with `null` removes) a user's permission on a project or a repository (`"KEY/slug"`). */
  setPermission(name: string, resource: string, permission: FakeDataCenterPermission | null): void;
  /** Adds a fault; see {@link FakeDataCenterFault}. */
  setFault(fault: FakeDataCenterFault): void;
  clearFaults(): void;
  /** Makes every access token issued so far expired (refresh tokens still work). */
  expireAccessTokens(): void;
  /** Changes how long every answer waits, in milliseconds. */
  setLatency(ms: number): void;
  close(): Promise<void>;
}
