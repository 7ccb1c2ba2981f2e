import type { FakeServerRequest } from "../shared/fake-server.js";

/** A Bitbucket account of the fake. Only `uuid` is required; the rest gets plausible defaults. */
export interface FakeBitbucketUser {
  /** Stable id with braces, e.g. `"{768f8c62-7f2a-4914-bf33-3f412fc1d3a4}"`. */
  readonly uuid: string;
  readonly account_id?: string;
  readonly display_name?: string;
  readonly nickname?: string;
  /** Left out of `/2.0/user` unless set, as Bitbucket does for most accounts since 2019. */
  readonly username?: string;
  /** `null` leaves the avatar link out. Default: a placeholder URL. */
  readonly avatarUrl?: string | null;
  readonly emails?: readonly {
    readonly email: string;
    readonly is_primary: boolean;
    readonly is_confirmed: boolean;
  }[];
  /**
   * Workspace memberships: slug → role, e.g. `{ "fake-team": "owner" }`. A slug the fake does not
   * know yet is added to its workspaces with a generated uuid. Default: none.
   */
  readonly workspaces?: Readonly<Record<string, FakeWorkspaceRole>>;
  /** Repositories this account can read, as `"workspace/repo_slug"`. Default: none. */
  readonly repositories?: readonly string[];
}

/** A role in a workspace, as `/2.0/user/workspaces/{ws}/permission` reports it. */
export type FakeWorkspaceRole = "member" | "collaborator" | "owner";

/** A workspace of the fake: matched by `slug` or `uuid`; `name` is only for display. */
export interface FakeWorkspace {
  readonly slug: string;
  /** With braces. Default: generated from the slug. */
  readonly uuid?: string;
  /** Display name. Default: the slug. Two workspaces may share one, as on Bitbucket. */
  readonly name?: string;
}

/** An OAuth consumer the fake knows. */
export interface FakeBitbucketClient {
  readonly clientId: string;
  readonly clientSecret: string;
  /**
   * The registered callback URL: `redirect_uri` must start with it, as on Bitbucket (a prefix, not
   * an exact match). Without one, every `redirect_uri` is refused with Bitbucket's "Invalid
   * redirect_uri" page.
   * @example { ...DEFAULT_FAKE_CLIENT, callbackUrl: "http://127.0.0.1:3000/login/bitbucket/callback" }
   */
  readonly callbackUrl?: string;
  /** Permissions granted to tokens. Default `["account", "email", "repository"]`. */
  readonly scopes?: readonly string[];
}

/**
 * Which endpoint a fault applies to: `workspaces` is `GET /2.0/user/workspaces`, `permission` is
 * `GET /2.0/user/workspaces/{ws}/permission`, `repository` is `GET /2.0/repositories/{ws}/{repo}`.
 */
export type FakeEndpoint =
  "authorize" | "token" | "user" | "emails" | "workspaces" | "permission" | "repository";

/**
 * A fault injected into one endpoint, for testing failure paths:
 * - `status`: answer with that HTTP status and a Bitbucket-shaped body (401/403/429 bodies are built in);
 * - `slow`: wait `delayMs`, then answer normally;
 * - `non-json`: 200 with a plain-text body; `html`: 200 with an HTML page;
 * - `reset`: start a 200 answer, then destroy the connection mid-body;
 * - `body`: 200 with this JSON instead of the real answer (e.g. a user without fields);
 * - `stall`: send the status line and part of a body, then nothing more until the client gives up;
 * - `trickle`: a 200 whose body never ends, one space every `everyMs` (default 50);
 * - `redirect`: answer `status` (default 307) with `Location: location`, as a hijacked endpoint would.
 */
export type FakeFault = { readonly endpoint: FakeEndpoint; readonly times?: number } & (
  | { readonly kind: "status"; readonly status: number; readonly body?: unknown }
  | { readonly kind: "slow"; readonly delayMs: number }
  | { readonly kind: "non-json" }
  | { readonly kind: "html" }
  | { readonly kind: "reset" }
  | { readonly kind: "body"; readonly body: unknown }
  | { readonly kind: "stall"; readonly status?: number }
  | { readonly kind: "trickle"; readonly everyMs?: number }
  | { readonly kind: "redirect"; readonly location: string; readonly status?: number }
);

/**
 * How the authorize step decides:
 * - `"auto"` (default): approve as the default user for curl and scripts; show an approve/deny page
 *   to a browser (a request that accepts `text/html`);
 * - `"approve"`: always approve without a page; `"deny"`: always deny (`error=access_denied`).
 */
export type FakeDecision = "auto" | "approve" | "deny";

/** Options of {@link startFakeBitbucket}. */
export interface FakeBitbucketOptions {
  /** Port on 127.0.0.1. Default `0` (any free port). */
  readonly port?: number;
  /** Default `"127.0.0.1"`; the fake never listens beyond loopback unless told. */
  readonly host?: string;
  /** Default: one consumer, `fake-client-id` / `fake-client-secret` with the `callbackUrl` below. */
  readonly clients?: readonly FakeBitbucketClient[];
  /**
   * The default consumer's registered callback URL: your app's `redirectUri`, or a prefix of it
   * (`http://127.0.0.1:3000/`), as you register it on Bitbucket. Without it the default consumer
   * refuses every login, as Bitbucket refuses a callback it does not know. Not with `clients`.
   * @example const fake = await startFakeBitbucket({ callbackUrl: "http://localhost/login/bitbucket/callback" });
   */
  readonly callbackUrl?: string;
  /** Default: "Ada Fake" and the outsider "Eve Outsider" (`FAKE_OUTSIDER_USER`), as the CLI. The first approves by default. */
  readonly users?: readonly FakeBitbucketUser[];
  readonly decision?: FakeDecision;
  /** Token responses carry `scope` (current Bitbucket) or `scopes` (older). Default `"scope"`. */
  readonly scopeField?: "scope" | "scopes";
  /** Access token lifetime in seconds. Default `7200`. */
  readonly accessTokenTtl?: number;
  /** Workspaces known up front (more are added from users' memberships). Default: `DEFAULT_FAKE_WORKSPACE`. */
  readonly workspaces?: readonly FakeWorkspace[];
  /**
   * Milliseconds every Bitbucket endpoint waits before it answers, to stand where Bitbucket really is
   * (tens of milliseconds away) in a benchmark. Default `0`.
   */
  readonly latencyMs?: number;
}

/** A running fake Bitbucket Cloud. */
export interface FakeBitbucket {
  /** Base URL, e.g. `http://127.0.0.1:43210`; it serves both bitbucket.org and api.bitbucket.org paths. */
  readonly url: string;
  /** Adds (or replaces, by uuid) an account. */
  addUser(user: FakeBitbucketUser): void;
  /**
   * Makes this account (by uuid or nickname) the one that approves the next authorizations, and
   * ends a `deny()`: the same call as on the Data Center fake.
   */
  approveAs(uuidOrNickname: string): void;
  /** The next authorizations are denied (`error=access_denied`), until `approveAs`. */
  deny(): void;
  /**
   * Makes this account (by uuid or nickname) the one that approves next.
   * @deprecated Use {@link FakeBitbucket.approveAs}, the name both fakes share.
   */
  setDefaultUser(uuidOrNickname: string): void;
  /**
   * Sets an account's role in a workspace (by slug), or removes the membership with `null`: the
   * next `/permission` answer says so, as when an admin removes someone on Bitbucket.
   */
  setWorkspaceRole(uuidOrNickname: string, workspace: string, role: FakeWorkspaceRole | null): void;
  setDecision(decision: FakeDecision): void;
  /** Changes `latencyMs` from now on. */
  setLatency(ms: number): void;
  /**
   * Injects a fault (one per endpoint: a new one replaces it). Faults with `times` expire after that
   * many hits. `null` clears all, as {@link FakeBitbucket.clearFaults} does (the name both fakes share).
   */
  setFault(fault: FakeFault | null): void;
  /** Clears every fault. */
  clearFaults(): void;
  /** Expires every access token issued so far (they answer 401 "Access token expired"). */
  expireAccessTokens(): void;
  /**
   * The account revokes the app's access on Bitbucket: every access and refresh token issued to
   * it stops working at once (401, and `invalid_request` on refresh).
   */
  revokeGrants(uuidOrNickname: string): void;
  /**
   * How many requests the fake is still answering: a stalled or trickling body counts until the
   * client hangs up. For tests that no request (and so no socket) outlives its caller.
   */
  openRequests(): number;
  /** Resolves as soon as {@link openRequests} is 0 (at once when it already is). */
  whenNoOpenRequests(): Promise<void>;
  /**
   * Counters of requests by endpoint, for assertions; `retired` counts calls to the endpoints
   * Bitbucket removed in 2026 (410) and `/2.0/teams` (404).
   */
  readonly hits: Readonly<Record<FakeEndpoint | "retired", number>>;
  /**
   * Every request received (not the `/_fake/` controls), in order, with when it arrived and when
   * its answer was done (`performance.now()`): for tests and benchmarks that count round trips.
   */
  readonly requests: readonly FakeRequest[];
  close(): Promise<void>;
}

/** One request the fake Bitbucket Cloud received. */
export interface FakeRequest extends FakeServerRequest {
  readonly method: string;
  /** The path and query as sent. */
  readonly url: string;
  /** When it arrived (`performance.now()`, before any latency). */
  readonly receivedAt: number;
  /** When its answer was done (`performance.now()`); `null` while it is still open. */
  readonly answeredAt: number | null;
}

/** The Cloud fake's endpoints, named as the Data Center fake's are (`FakeDataCenterEndpoint`). */
export type FakeCloudEndpoint = FakeEndpoint;
/** A fault of the Cloud fake, named as the Data Center fake's are (`FakeDataCenterFault`). */
export type FakeCloudFault = FakeFault;
/** What the Cloud fake's consent screen answers, named after its edition. */
export type FakeCloudDecision = FakeDecision;
