import { rejectUnknownKeys } from "../../util/did-you-mean.js";
import { isOwnedSlug, ruleList } from "../../util/rule-lists.js";

/**
 * A workspace role, lowest first. Bitbucket's meanings: `member` has access to the workspace (a
 * group or a repository in it), `collaborator` can write to at least one of its repositories,
 * `owner` administers it.
 */
export type BitbucketWorkspaceRole = "member" | "collaborator" | "owner";

/**
 * Who may sign in. Every rule given must hold; a rule left out is not checked.
 *
 * @example
 * allow: { workspaces: ["acme"], role: "collaborator", repositories: ["acme/handbook"] }
 */
export interface BitbucketAllow {
  /**
   * Workspace slugs (`"acme"`) or UUIDs with braces (`"{6f0c…}"`): the person must be in at least one.
   * Never display names, which anyone can copy.
   */
  readonly workspaces?: readonly string[];
  /** The lowest role accepted in that workspace. Default `"member"`. Needs `workspaces`. */
  readonly role?: BitbucketWorkspaceRole;
  /**
   * `"workspace/repo_slug"` entries: the person must be able to read at least one. Needs the OAuth
   * consumer's **Repositories: Read** permission.
   */
  readonly repositories?: readonly string[];
}

/** `allow` after validation: lists always present, role defaulted. */
export interface ResolvedAllow {
  readonly workspaces: readonly string[];
  readonly role: BitbucketWorkspaceRole;
  readonly repositories: readonly string[];
}

export const ROLE_RANK: Readonly<Record<BitbucketWorkspaceRole, number>> = {
  member: 1,
  collaborator: 2,
  owner: 3,
};

/** True for one of the three roles, by own key: never a name from Object's prototype. */
export const isRole = (v: string): v is BitbucketWorkspaceRole => Object.hasOwn(ROLE_RANK, v);

const KEYS = ["workspaces", "role", "repositories"] as const;
const SLUG = /^[a-z0-9][a-z0-9_.-]{0,99}$/i;
const UUID = /^\{[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}\}$/i;
const REPO_SLUG = /^[a-z0-9_.-]{1,100}$/i;

const BARE_UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/**
 * True for a workspace slug or `{uuid}`: the only two things a workspace is matched on. A uuid
 * without its braces is refused: Bitbucket would read it as a slug and never find the workspace.
 */
export const isWorkspaceId = (v: string) => (SLUG.test(v) && !BARE_UUID.test(v)) || UUID.test(v);

/**
 * Checks `allow` once, when the router (or `checkBitbucketAccess`) is built. `name` is how the
 * option is called in messages, e.g. `option "allow"`.
 * @throws TypeError naming the part at fault.
 */
export function resolveAllow(value: unknown, fail: (message: string) => never): ResolvedAllow {
  if (value === null || typeof value !== "object" || Array.isArray(value))
    fail(`option "allow" must be an object such as { workspaces: ["my-workspace"] }.`);
  const input = value as Record<string, unknown>;
  rejectUnknownKeys(input, KEYS, fail, { prefix: "allow." });
  const list = (key: string, check: (v: string) => boolean, what: string) =>
    ruleList(input, key, check, what, fail);
  const workspaces = list(
    "workspaces",
    isWorkspaceId,
    'workspace slugs or {uuid}s (never display names), e.g. "acme"',
  );
  const repositories = list(
    "repositories",
    // "acme/." and "acme/.." would ask /2.0/repositories/acme/ and /2.0/repositories/.
    (v) => isOwnedSlug(v, isWorkspaceId, REPO_SLUG),
    '"workspace/repo_slug" entries, e.g. "acme/handbook"',
  );
  const role = input.role ?? "member";
  // Own keys only: `in` would also take "constructor", "toString" or "__proto__" for a role.
  if (typeof role !== "string" || !isRole(role))
    fail(`option "allow.role" must be "member", "collaborator" or "owner".`);
  if (input.role !== undefined && workspaces.length === 0)
    fail(`option "allow.role" needs "allow.workspaces": a role is held in a workspace.`);
  if (workspaces.length === 0 && repositories.length === 0)
    fail(`option "allow" must name "workspaces" or "repositories" (or both).`);
  return { workspaces, role: role as BitbucketWorkspaceRole, repositories };
}
