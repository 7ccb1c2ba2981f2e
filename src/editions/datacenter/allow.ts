import { rejectUnknownKeys } from "../../util/did-you-mean.js";
import { isOwnedSlug, ruleList } from "../../util/rule-lists.js";

/** A Data Center permission, lowest first; each implies the ones before it. */
export type BitbucketDataCenterPermission = "read" | "write" | "admin";

/**
 * Who may sign in on Bitbucket Data Center. The person must hold at least `permission` on at least
 * one of `projects`, and on at least one of `repositories`; a list left out is not checked.
 *
 * WARNING: `"read"` on a project or repository open to public access admits every account of the
 * instance. Name a private one, or ask for `"write"`.
 *
 * @example
 * allow: { projects: ["ENG"], repositories: ["ENG/api"], permission: "read" }
 */
export interface BitbucketDataCenterAllow {
  /**
   * Project keys (`"ENG"`). On a project the permission is the project's own (`PROJECT_READ`,
   * `PROJECT_WRITE`, `PROJECT_ADMIN`), granted to the user or a group: access to one repository of
   * the project is not enough.
   */
  readonly projects?: readonly string[];
  /** `"KEY/repo-slug"` entries; project permissions imply repository permissions. */
  readonly repositories?: readonly string[];
  /** The lowest permission accepted. Default `"read"`. */
  readonly permission?: BitbucketDataCenterPermission;
}

/** `allow` after validation: lists always present, permission defaulted. */
export interface ResolvedDataCenterAllow {
  readonly projects: readonly string[];
  readonly repositories: readonly { readonly project: string; readonly slug: string }[];
  readonly permission: BitbucketDataCenterPermission;
}

const PERMISSIONS: Readonly<Record<BitbucketDataCenterPermission, true>> = {
  read: true,
  write: true,
  admin: true,
};
const KEYS = ["projects", "repositories", "permission"] as const;
// Project keys: a letter, then letters, digits and underscores (Bitbucket's own rule).
const PROJECT_KEY = /^[A-Za-z][A-Za-z0-9_]{0,127}$/;
// Personal projects are `~user`; their slugs may hold dots and dashes.
const PERSONAL_KEY = /^~[A-Za-z0-9_.@-]{1,128}$/;
const REPO_SLUG = /^[A-Za-z0-9_.-]{1,128}$/;

const isProjectKey = (v: string) => PROJECT_KEY.test(v) || PERSONAL_KEY.test(v);

/**
 * Checks a Data Center `allow` once, when the router (or a re-check) is built.
 * @throws TypeError naming the part at fault.
 */
export function resolveDataCenterAllow(
  value: unknown,
  fail: (message: string) => never,
): ResolvedDataCenterAllow {
  if (value === null || typeof value !== "object" || Array.isArray(value))
    fail(`option "allow" must be an object such as { projects: ["ENG"] }.`);
  const input = value as Record<string, unknown>;
  rejectUnknownKeys(input, KEYS, fail, { prefix: "allow." });
  const list = (key: string, check: (v: string) => boolean, what: string) =>
    ruleList(input, key, check, what, fail);
  const projects = list("projects", isProjectKey, 'project keys, e.g. "ENG"');
  const repositories = list(
    "repositories",
    // "ENG/." and "ENG/.." would ask for the project or the list instead of a repository.
    (v) => isOwnedSlug(v, isProjectKey, REPO_SLUG),
    '"KEY/repo-slug" entries, e.g. "ENG/api"',
  );
  const permission = input.permission ?? "read";
  // Own keys only: `in` would also take "constructor" or "__proto__" for a permission.
  if (typeof permission !== "string" || !Object.hasOwn(PERMISSIONS, permission))
    fail(`option "allow.permission" must be "read", "write" or "admin".`);
  if (projects.length === 0 && repositories.length === 0)
    fail(`option "allow" must name "projects" or "repositories" (or both).`);
  return {
    projects,
    repositories: repositories.map((r) => {
      // Checked above: exactly one "/" between a key and a slug.
      const [project, slug] = r.split("/") as [string, string];
      return { project, slug };
    }),
    permission: permission as BitbucketDataCenterPermission,
  };
}
