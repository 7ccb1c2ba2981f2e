import { createHash, randomBytes } from "node:crypto";
import type {
  FakeDataCenterClient,
  FakeDataCenterPermission,
  FakeDataCenterProject,
  FakeDataCenterUser,
} from "./fake-dc-types.js";
import { DEFAULT_FAKE_DATACENTER_CLIENT, DEFAULT_FAKE_DATACENTER_PROJECTS } from "./fake-dc-fixtures.js";

// Data Center's scopes each imply the ones below them (Atlassian's "OAuth 2.0 scopes" table).
const READS_REPOSITORIES: ReadonlySet<string> = new Set([
  "REPO_READ",
  "REPO_WRITE",
  "REPO_ADMIN",
  "PROJECT_ADMIN",
  "ADMIN_WRITE",
  "SYSTEM_ADMIN",
]);
/** What a link grants when an authorization asks for no scope (see FakeDataCenterClient.scopes). */
export const LINK_SCOPES: readonly string[] = ["PUBLIC_REPOS", "REPO_READ"];

const RANK: Readonly<Record<FakeDataCenterPermission, number>> = { read: 1, write: 2, admin: 3 };
const CODE_LIFETIME_MS = 60_000;
const ACCESS_LIFETIME_S = 3600;

interface Code {
  readonly clientId: string;
  /** What the authorization granted: the scopes asked for, or the link's own when none were. */
  readonly scopes: readonly string[];
  readonly redirectUri: string;
  readonly userId: number;
  readonly challenge: string | null;
  readonly method: string;
  readonly expiresAt: number;
  used: boolean;
  /** Tokens issued from this code: revoked if the code comes back. */
  readonly tokens: Set<string>;
}

interface Grant {
  readonly userId: number;
  readonly clientId: string;
  readonly scopes: readonly string[];
  readonly refreshToken: string;
  expiresAt: number;
}

export const sha256 = (v: string) => createHash("sha256").update(v).digest("base64url");
const token = () => randomBytes(24).toString("base64url");

/** Users, permissions, codes and tokens of the fake Data Center. */
export class FakeDataCenterStore {
  users: FakeDataCenterUser[];
  approver: number | "deny";
  readonly codes = new Map<string, Code>();
  /** access token → grant */
  readonly grants = new Map<string, Grant>();

  readonly projects: Readonly<Record<string, FakeDataCenterProject>>;
  readonly clients: readonly FakeDataCenterClient[];

  constructor(
    users: readonly FakeDataCenterUser[],
    projects: Readonly<Record<string, FakeDataCenterProject>> = DEFAULT_FAKE_DATACENTER_PROJECTS,
    clients: readonly FakeDataCenterClient[] = [DEFAULT_FAKE_DATACENTER_CLIENT],
  ) {
    this.users = users.map((u) => ({ ...u }));
    this.approver = this.users[0]?.id ?? "deny";
    this.projects = projects;
    this.clients = clients;
  }

  /** The client with this id, if the fake knows it. */
  client(clientId: string | null): FakeDataCenterClient | undefined {
    return this.clients.find((c) => c.clientId === clientId);
  }

  /** The project with this key, if there is one (own keys only: never `constructor` or `__proto__`). */
  project(key: string): FakeDataCenterProject | undefined {
    return Object.hasOwn(this.projects, key) ? this.projects[key] : undefined;
  }

  user(id: number) {
    return this.users.find((u) => u.id === id);
  }

  issueCode(c: Omit<Code, "used" | "tokens" | "expiresAt">): string {
    const code = token();
    this.codes.set(code, { ...c, expiresAt: Date.now() + CODE_LIFETIME_MS, used: false, tokens: new Set() });
    return code;
  }

  issueTokens(userId: number, clientId: string, scopes: readonly string[], from?: Code) {
    const accessToken = token();
    const refreshToken = token();
    this.grants.set(accessToken, {
      userId,
      clientId,
      scopes,
      refreshToken,
      expiresAt: Date.now() + ACCESS_LIFETIME_S * 1000,
    });
    from?.tokens.add(accessToken);
    return {
      access_token: accessToken,
      token_type: "bearer",
      expires_in: ACCESS_LIFETIME_S,
      refresh_token: refreshToken,
      scope: scopes.join(" "),
    };
  }

  /** A refresh rotates both tokens: the old pair is gone at once. */
  refresh(refreshToken: string, clientId: string) {
    for (const [access, grant] of this.grants) {
      if (grant.refreshToken === refreshToken && grant.clientId === clientId) {
        this.grants.delete(access);
        return this.issueTokens(grant.userId, clientId, grant.scopes);
      }
    }
    return null;
  }

  /** The user a Bearer token belongs to, if it is live. */
  bearer(header: string | undefined): FakeDataCenterUser | undefined {
    const grant = this.liveGrant(header);
    return grant ? this.user(grant.userId) : undefined;
  }

  /**
   * The user as a Bearer token lets the REST API see them: without a scope that reads
   * repositories (`REPO_READ` or one that implies it), none of their own project or repository
   * permissions count, so only public projects and repositories are readable, as Atlassian says of
   * `PUBLIC_REPOS`. (What the real instance answers for a private one is not documented: the fake
   * answers as for a user without the permission, a guess.)
   */
  viewer(header: string | undefined): FakeDataCenterUser | undefined {
    const grant = this.liveGrant(header);
    const user = grant ? this.user(grant.userId) : undefined;
    if (!grant || !user) return undefined;
    return grant.scopes.some((s) => READS_REPOSITORIES.has(s))
      ? user
      : { ...user, projects: {}, repositories: {} };
  }

  private liveGrant(header: string | undefined): Grant | undefined {
    const match = /^Bearer (\S+)$/.exec(header ?? "");
    const grant = match?.[1] === undefined ? undefined : this.grants.get(match[1]);
    return grant && grant.expiresAt > Date.now() ? grant : undefined;
  }

  /** The permission rank a user holds on a project (project permissions only). */
  projectRank(user: FakeDataCenterUser | undefined, key: string): number {
    const own = user?.projects?.[key];
    const publicRead = this.project(key)?.public ? 1 : 0;
    return Math.max(own ? RANK[own] : 0, publicRead);
  }

  /** The permission rank on a repository: its own, or implied by the project's. */
  repoRank(user: FakeDataCenterUser | undefined, key: string, slug: string): number {
    const own = user?.repositories?.[`${key}/${slug}`];
    return Math.max(own ? RANK[own] : 0, this.projectRank(user, key));
  }

  /** Whether a user can see a project at all: a project permission, or any of its repositories. */
  canSeeProject(user: FakeDataCenterUser | undefined, key: string): boolean {
    return (
      this.projectRank(user, key) > 0 ||
      (this.project(key)?.repos ?? []).some((r) => this.repoRank(user, key, r) > 0)
    );
  }
}

export const rankOf = (permission: string | null, prefix: "PROJECT_" | "REPO_"): number | undefined => {
  if (permission === null) return 1;
  const level = permission.startsWith(prefix) ? permission.slice(prefix.length).toLowerCase() : "";
  return Object.hasOwn(RANK, level) ? RANK[level as FakeDataCenterPermission] : undefined;
};
