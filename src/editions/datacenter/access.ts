import { BitbucketAuthError } from "../../errors/errors.js";
import type { Deadline } from "../../http/upstream.js";
import type { BitbucketDataCenterPermission, ResolvedDataCenterAllow } from "./allow.js";
import { getDataCenter } from "./api.js";
import { firstYes } from "../first-yes.js";

/** What the Data Center `allow` rules found. */
export interface BitbucketDataCenterAccess {
  /** True when every rule of `allow` holds (and the account may sign in at all). */
  readonly allowed: boolean;
  /** The first project of `allow.projects` where the person holds `permission`, or `null`. */
  readonly project: string | null;
  /** The first of `allow.repositories` (`"KEY/slug"`) where they hold it, or `null`. */
  readonly repository: string | null;
  /** The permission that was asked for. */
  readonly permission: BitbucketDataCenterPermission;
  /** When not allowed: the rule that failed, in words (never a token). Otherwise `null`. */
  readonly reason: string | null;
}

const PROJECT_PERMISSION = { read: "PROJECT_READ", write: "PROJECT_WRITE", admin: "PROJECT_ADMIN" } as const;
const REPO_PERMISSION = { read: "REPO_READ", write: "REPO_WRITE", admin: "REPO_ADMIN" } as const;
const PAGE_SIZE = 1000;
// Beyond this many pages the list is not an answer we trust: an outage, never a refusal.
const MAX_PAGES = 20;

type Outcome = { readonly kind: "yes"; readonly found: string } | { readonly kind: "no" };

/**
 * Checks a Data Center `allow` with the person's token. Every question runs at once. A project
 * holds when the permission-filtered project list has it (a project permission, not access to one
 * of its repositories); a repository holds on its own 200 for `read`, and otherwise when the
 * permission-filtered repository list has it. A 401 (token accepted) or 404 is a definite no; an
 * outage on a question that decides the answer throws its coded error.
 */
export async function checkDataCenterAccess(
  serverUrl: string,
  allow: ResolvedDataCenterAllow,
  accessToken: string,
  deadline: Deadline,
): Promise<BitbucketDataCenterAccess> {
  const ask = (path: string) => getDataCenter(serverUrl, path, accessToken, deadline);
  const [projects, repositories] = await Promise.all([
    allow.projects.length === 0 ? null : projectOutcome(ask, allow),
    anyOf(allow.repositories.map((r) => repositoryOutcome(ask, allow.permission, r.project, r.slug))),
  ]);
  const project = projects?.kind === "yes" ? projects.found : null;
  const repository = repositories?.kind === "yes" ? repositories.found : null;
  const base = { project, repository, permission: allow.permission };
  if (projects?.kind === "no")
    return {
      ...base,
      allowed: false,
      reason: `no ${allow.permission} permission on the projects ${allow.projects.join(", ")}`,
    };
  if (allow.repositories.length > 0 && repositories?.kind !== "yes")
    return {
      ...base,
      allowed: false,
      reason: `no ${allow.permission} permission on the repositories ${allow.repositories.map((r) => `${r.project}/${r.slug}`).join(", ")}`,
    };
  return { ...base, allowed: true, reason: null };
}

type Ask = (path: string) => ReturnType<typeof getDataCenter>;

function projectOutcome(ask: Ask, allow: ResolvedDataCenterAllow): Promise<Outcome> {
  const wanted = new Set(allow.projects.map((k) => k.toUpperCase()));
  return listHas(
    ask,
    "/rest/api/latest/projects",
    { permission: PROJECT_PERMISSION[allow.permission] },
    (v) => {
      const key = (v as { key?: unknown } | null)?.key;
      return typeof key === "string" && wanted.has(key.toUpperCase()) ? key : null;
    },
  );
}

async function repositoryOutcome(
  ask: Ask,
  permission: BitbucketDataCenterPermission,
  project: string,
  slug: string,
): Promise<Outcome> {
  const found = `${project}/${slug}`;
  if (permission === "read") {
    // A repository's own answer can only say "read"; for more, its permission-filtered list is asked.
    const answer = await ask(
      `/rest/api/latest/projects/${encodeURIComponent(project)}/repos/${encodeURIComponent(slug)}`,
    );
    if (answer.status === 200) return { kind: "yes", found };
    if (answer.status === 401 || answer.status === 403 || answer.status === 404) return { kind: "no" };
    throw unexpected(answer.status);
  }
  return listHas(
    ask,
    "/rest/api/latest/repos",
    { projectkey: project, permission: REPO_PERMISSION[permission] },
    (v) => {
      const r = v as { slug?: unknown; project?: { key?: unknown } } | null;
      return r?.slug === slug &&
        typeof r.project?.key === "string" &&
        r.project.key.toUpperCase() === project.toUpperCase()
        ? found
        : null;
    },
  );
}

/** Yes when any says yes; otherwise the first outage throws; otherwise no. */
async function anyOf(outcomes: Promise<Outcome>[]): Promise<Outcome | null> {
  // Stryker disable next-line ConditionalExpression: equivalent; without repositories the "no" of an empty list is never read (the rule applies only when some are named). The early return spares an allSettled over nothing.
  if (outcomes.length === 0) return null;
  const answer = await firstYes(outcomes, (o): o is Outcome => o.kind === "yes");
  if (answer.kind === "yes") return answer.value;
  if (answer.kind === "outage") throw answer.error;
  return { kind: "no" };
}

/**
 * Pages through a permission-filtered list (`isLastPage`, `nextPageStart`) until `match` finds an
 * entry. A 401 or 404 (token accepted) is "no"; a malformed page, or more than MAX_PAGES, is an outage.
 */
async function listHas(
  ask: Ask,
  path: string,
  filter: Readonly<Record<string, string>>,
  match: (value: unknown) => string | null,
): Promise<Outcome> {
  let start = 0;
  for (let page = 0; page < MAX_PAGES; page++) {
    const query = new URLSearchParams({ ...filter, start: String(start), limit: String(PAGE_SIZE) });
    const answer = await ask(`${path}?${query}`);
    if (answer.status === 401 || answer.status === 403 || answer.status === 404) return { kind: "no" };
    if (answer.status !== 200) throw unexpected(answer.status);
    const body = answer.body as { values?: unknown; isLastPage?: unknown; nextPageStart?: unknown } | null;
    if (!Array.isArray(body?.values)) throw malformed();
    for (const value of body.values) {
      const found = match(value);
      if (found !== null) return { kind: "yes", found };
    }
    if (body.isLastPage === true) return { kind: "no" };
    if (typeof body.nextPageStart !== "number" || body.nextPageStart <= start) throw malformed();
    start = body.nextPageStart;
  }
  throw malformed();
}

const unexpected = (status: number) =>
  new BitbucketAuthError("BITBUCKET_UNAVAILABLE", `Bitbucket answered HTTP ${status}.`);
const malformed = () =>
  new BitbucketAuthError("BITBUCKET_UNAVAILABLE", "Bitbucket's paged answer is malformed or endless.");
