import { createHash, randomBytes } from "node:crypto";
import type {
  FakeBitbucketClient,
  FakeBitbucketUser,
  FakeWorkspace,
  FakeWorkspaceRole,
} from "./fake-types.js";

interface PendingCode {
  readonly clientId: string;
  readonly redirectUri: string | undefined;
  readonly uuid: string;
  readonly scopes: readonly string[];
  readonly expiresAt: number;
}
interface Grant {
  readonly clientId: string;
  readonly uuid: string;
  readonly scopes: readonly string[];
  readonly expiresAt: number;
}

const CODE_TTL_MS = 10 * 60_000;
const token = (bytes: number) => randomBytes(bytes).toString("base64url");

/** The fake's memory: accounts, consumers, single-use codes, access tokens and rotating refresh tokens. */
export class FakeStore {
  readonly users = new Map<string, FakeBitbucketUser>();
  readonly clients = new Map<string, FakeBitbucketClient>();
  /** Workspaces by slug. */
  readonly workspaces = new Map<string, Required<FakeWorkspace>>();
  /** Memberships by user uuid: workspace slug → role. Mutable, unlike the seeds. */
  readonly memberships = new Map<string, Map<string, FakeWorkspaceRole>>();
  defaultUser: string | undefined;
  private readonly codes = new Map<string, PendingCode>();
  private readonly accessTokens = new Map<string, Grant>();
  private readonly refreshTokens = new Map<string, Omit<Grant, "expiresAt">>();

  constructor(private readonly accessTokenTtlMs: number) {}

  addUser(user: FakeBitbucketUser): void {
    this.users.set(user.uuid, user);
    this.memberships.set(user.uuid, new Map());
    for (const [slug, role] of Object.entries(user.workspaces ?? {})) this.setRole(user.uuid, slug, role);
    this.defaultUser ??= user.uuid;
  }

  addWorkspace(workspace: FakeWorkspace): Required<FakeWorkspace> {
    const full = {
      slug: workspace.slug,
      uuid: workspace.uuid ?? uuidFrom(workspace.slug),
      name: workspace.name ?? workspace.slug,
    };
    this.workspaces.set(full.slug, full);
    return full;
  }

  /** A workspace by slug or `{uuid}` (case-insensitive), never by name. */
  workspace(id: string): Required<FakeWorkspace> | undefined {
    const wanted = id.toLowerCase();
    for (const ws of this.workspaces.values()) {
      if (ws.slug.toLowerCase() === wanted || ws.uuid.toLowerCase() === wanted) return ws;
    }
    return undefined;
  }

  setRole(uuid: string, slug: string, role: FakeWorkspaceRole | null): void {
    if (!this.workspaces.has(slug)) this.addWorkspace({ slug });
    const roles = this.memberships.get(uuid) ?? new Map<string, FakeWorkspaceRole>();
    this.memberships.set(uuid, roles);
    if (role === null) roles.delete(slug);
    else roles.set(slug, role);
  }

  /** An account by uuid or nickname. */
  findUser(uuidOrNickname: string): FakeBitbucketUser | undefined {
    return (
      this.users.get(uuidOrNickname) ?? [...this.users.values()].find((u) => u.nickname === uuidOrNickname)
    );
  }

  issueCode(client: FakeBitbucketClient, redirectUri: string | undefined, uuid: string): string {
    const code = token(18);
    const scopes = client.scopes ?? ["account", "email", "repository"];
    this.codes.set(code, {
      clientId: client.clientId,
      redirectUri,
      uuid,
      scopes,
      expiresAt: Date.now() + CODE_TTL_MS,
    });
    return code;
  }

  /** Single use: the code is gone after the first attempt, whether it succeeds or not. */
  redeemCode(code: string, clientId: string, redirectUri: string | undefined): PendingCode | undefined {
    const pending = this.codes.get(code);
    this.codes.delete(code);
    if (!pending || pending.clientId !== clientId || pending.expiresAt < Date.now()) return undefined;
    if (pending.redirectUri !== undefined && pending.redirectUri !== redirectUri) return undefined;
    return pending;
  }

  /** Rotation: each refresh token works once. */
  redeemRefreshToken(refreshToken: string, clientId: string): Omit<Grant, "expiresAt"> | undefined {
    const grant = this.refreshTokens.get(refreshToken);
    if (!grant || grant.clientId !== clientId) return undefined;
    this.refreshTokens.delete(refreshToken);
    return grant;
  }

  issueTokens(grant: Omit<Grant, "expiresAt">): { accessToken: string; refreshToken: string } {
    const accessToken = token(32);
    const refreshToken = token(24);
    this.accessTokens.set(accessToken, { ...grant, expiresAt: Date.now() + this.accessTokenTtlMs });
    this.refreshTokens.set(refreshToken, grant);
    return { accessToken, refreshToken };
  }

  /** The grant behind a bearer token: `"expired"`, or `undefined` when unknown. */
  grantFor(accessToken: string): Grant | "expired" | undefined {
    const grant = this.accessTokens.get(accessToken);
    if (!grant) return undefined;
    return grant.expiresAt <= Date.now() ? "expired" : grant;
  }

  /** Every token of this account is forgotten: the grant is revoked. */
  revokeGrants(uuid: string): void {
    for (const [key, grant] of this.accessTokens) if (grant.uuid === uuid) this.accessTokens.delete(key);
    for (const [key, grant] of this.refreshTokens) if (grant.uuid === uuid) this.refreshTokens.delete(key);
  }

  expireAccessTokens(): void {
    for (const [key, grant] of this.accessTokens) this.accessTokens.set(key, { ...grant, expiresAt: 0 });
  }
}

/** `/2.0/user` in Bitbucket's shape (see the verbatim sample); `username` only when the account has one. */
export function userJson(user: FakeBitbucketUser): Record<string, unknown> {
  const id = encodeURIComponent(user.uuid);
  const links: Record<string, { href: string }> = {
    self: { href: `https://api.bitbucket.org/2.0/users/${id}` },
    html: { href: `https://bitbucket.org/${id}/` },
    repositories: { href: `https://api.bitbucket.org/2.0/repositories/${id}` },
  };
  const avatar = user.avatarUrl === undefined ? defaultAvatar(user.uuid) : user.avatarUrl;
  if (avatar !== null) links.avatar = { href: avatar };
  return {
    ...(user.username === undefined ? {} : { username: user.username }),
    display_name: user.display_name ?? "Fake User",
    has_2fa_enabled: null,
    links,
    nickname: user.nickname ?? user.display_name ?? "fake-user",
    account_id: user.account_id ?? `5c65${user.uuid.replace(/[^0-9a-f]/g, "").slice(0, 20)}`,
    created_on: "2019-02-19T10:36:46.361566-08:00",
    is_staff: false,
    account_status: "active",
    type: "user",
    uuid: user.uuid,
  };
}

function defaultAvatar(uuid: string): string {
  // An inline SVG keeps the example page offline; real Bitbucket serves a PNG from its CDN.
  const hue = [...uuid].reduce((sum, c) => sum + c.charCodeAt(0), 0) % 360;
  const svg = `<svg xmlns="http://www.w3.org/2000/svg" width="64" height="64"><rect width="64" height="64" rx="32" fill="hsl(${hue},60%,45%)"/></svg>`;
  return `data:image/svg+xml;base64,${Buffer.from(svg).toString("base64")}`;
}

/** A stable uuid for a workspace slug, so the same seed gives the same uuid on every start. */
function uuidFrom(slug: string): string {
  const h = createHash("sha256").update(`workspace:${slug}`).digest("hex");
  return `{${h.slice(0, 8)}-${h.slice(8, 12)}-4${h.slice(13, 16)}-8${h.slice(17, 20)}-${h.slice(20, 32)}}`;
}
