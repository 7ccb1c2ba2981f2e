import { ROLE_RANK, isRole, type BitbucketWorkspaceRole, type ResolvedAllow } from "./allow.js";
import type { FetchBitbucket } from "../edition.js";
import { BitbucketAuthError } from "../../errors/errors.js";
import { firstYes } from "../first-yes.js";

/** A workspace as Bitbucket names it. Match on `slug` or `uuid`; `name` is for display only. */
export interface BitbucketWorkspace {
  readonly slug: string;
  readonly uuid: string;
  readonly name: string;
}

/** What the `allow` rules found. */
export interface BitbucketAccess {
  /** True when every rule of `allow` holds. */
  readonly allowed: boolean;
  /**
   * The first workspace of `allow.workspaces` where the person holds at least `allow.role`; when
   * none qualifies, the one with their highest role, or `null` when they are in none.
   */
  readonly workspace: BitbucketWorkspace | null;
  /** The person's role in `workspace`. */
  readonly role: BitbucketWorkspaceRole | null;
  /** The first of `allow.repositories` they can read, or `null`. */
  readonly repository: string | null;
  /** When not allowed: the rule that failed, in words (never a token). Otherwise `null`. */
  readonly reason: string | null;
}

interface Membership {
  readonly workspace: BitbucketWorkspace;
  readonly role: BitbucketWorkspaceRole;
}

type Outcome<T> =
  | { readonly kind: "pass"; readonly found: T | null }
  | { readonly kind: "fail"; readonly reason: string; readonly best: T | null }
  | { readonly kind: "outage"; readonly error: unknown };

/**
 * Checks `allow` with the person's token. Every request runs at once (one round trip in all), and
 * asks only about the workspaces and repositories named: no listing, so no pagination to get wrong.
 * A rule that definitely fails makes the answer "not allowed"; otherwise an outage on any request
 * throws its coded error (an outage is never taken for a refusal, nor for a pass).
 */
export async function checkAccess(
  allow: ResolvedAllow,
  fetchBitbucket: FetchBitbucket,
): Promise<BitbucketAccess> {
  const [workspaceRule, repositoryRule] = await Promise.all([
    workspaceOutcome(allow, fetchBitbucket),
    repositoryOutcome(allow, fetchBitbucket),
  ]);
  const membership =
    workspaceRule.kind === "pass"
      ? workspaceRule.found
      : workspaceRule.kind === "fail"
        ? workspaceRule.best
        : null;
  const base = {
    workspace: membership?.workspace ?? null,
    role: membership?.role ?? null,
    repository: repositoryRule.kind === "pass" ? repositoryRule.found : null,
  };
  const failed = [workspaceRule, repositoryRule].find((r) => r.kind === "fail");
  if (failed?.kind === "fail") return { ...base, allowed: false, reason: failed.reason };
  const outage = [workspaceRule, repositoryRule].find((r) => r.kind === "outage");
  if (outage?.kind === "outage") throw outage.error;
  return { ...base, allowed: true, reason: null };
}

/**
 * One rule's outcome from its answers, in the order the rule lists them: the first that qualifies
 * passes; otherwise an outage on any request wins over "no" (it might have been the "yes").
 */
async function outcome<T, Q>(
  asked: readonly Q[],
  ask: (item: Q) => Promise<T | null>,
  qualifies: (found: T) => boolean,
  refusal: (answers: readonly T[]) => { reason: string; best: T | null },
): Promise<Outcome<T>> {
  if (asked.length === 0) return { kind: "pass", found: null };
  const answer = await firstYes(asked.map(ask), (a): a is T => a !== null && qualifies(a));
  if (answer.kind === "yes") return { kind: "pass", found: answer.value };
  if (answer.kind === "outage") return answer;
  return { kind: "fail", ...refusal(answer.answers.filter((a): a is T => a !== null)) };
}

function workspaceOutcome(
  allow: ResolvedAllow,
  fetchBitbucket: FetchBitbucket,
): Promise<Outcome<Membership>> {
  return outcome(
    allow.workspaces,
    async (id) => {
      const body = await fetchBitbucket(`/2.0/user/workspaces/${encodeURIComponent(id)}/permission`);
      return body === null ? null : membershipOf(id, body);
    },
    (m) => ROLE_RANK[m.role] >= ROLE_RANK[allow.role],
    (memberships) => {
      const best = [...memberships].sort((a, b) => ROLE_RANK[b.role] - ROLE_RANK[a.role])[0] ?? null;
      const names = allow.workspaces.map((w) => `'${w}'`).join(", ");
      return {
        best,
        reason: best
          ? `the role '${best.role}' in workspace '${best.workspace.slug}' is below the required '${allow.role}'`
          : `not a member of the workspace${allow.workspaces.length > 1 ? "s" : ""} ${names}`,
      };
    },
  );
}

function repositoryOutcome(allow: ResolvedAllow, fetchBitbucket: FetchBitbucket): Promise<Outcome<string>> {
  return outcome(
    allow.repositories,
    async (fullName) => {
      // Stryker disable next-line StringLiteral: resolveAllow only lets "workspace/repo" through.
      const [workspace = "", repo = ""] = fullName.split("/");
      const body = await fetchBitbucket(
        `/2.0/repositories/${encodeURIComponent(workspace)}/${encodeURIComponent(repo)}`,
      );
      return body !== null && typeof body === "object" ? fullName : null;
    },
    () => true,
    () => ({
      best: null,
      reason:
        `cannot read any of the repositories ${allow.repositories.map((r) => `'${r}'`).join(", ")} ` +
        `(the check needs the OAuth consumer's Repositories: Read permission)`,
    }),
  );
}

/**
 * Reads `/2.0/user/workspaces/{id}/permission`. It must carry a known role and, when it names its
 * workspace, name the one asked for by the very identifier asked with (slug or uuid, never by
 * name): an answer that names the workspace only by the other identifier, or by another one, is
 * malformed, not a pass.
 */
function membershipOf(id: string, body: unknown): Membership {
  const answer = body as {
    permission?: unknown;
    workspace?: { slug?: unknown; uuid?: unknown; name?: unknown };
  };
  // Never null here: a `null` answer is Bitbucket's "no access" and does not reach this function.
  const role = answer.permission;
  const ws = answer.workspace;
  // Stryker disable next-line MethodExpression: a checked id starts with "{" exactly when it ends with "}".
  const askedUuid = id.startsWith("{");
  const named = ws !== undefined && ws !== null;
  const slug = typeof ws?.slug === "string" ? ws.slug : askedUuid ? "" : id;
  const uuid = typeof ws?.uuid === "string" ? ws.uuid : askedUuid ? id : "";
  const asked = askedUuid ? ws?.uuid : ws?.slug;
  const same = !named || (typeof asked === "string" && asked.toLowerCase() === id.toLowerCase());
  if (typeof role !== "string" || !isRole(role) || !same) {
    throw new BitbucketAuthError(
      "BITBUCKET_UNAVAILABLE",
      "Bitbucket's workspace permission answer is malformed.",
      { cause: new Error(`Bitbucket's permission endpoint for workspace '${id}' sent an unexpected body`) },
    );
  }
  return {
    workspace: { slug, uuid, name: typeof ws?.name === "string" ? ws.name : slug },
    role,
  };
}
