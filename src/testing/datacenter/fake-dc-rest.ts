import type { ServerResponse } from "node:http";
import type { FakeDataCenterUser } from "./fake-dc-types.js";
import { rankOf, type FakeDataCenterStore } from "./fake-dc-store.js";
import {
  errors,
  notPermitted,
  page,
  projectJson,
  repoJson,
  unauthenticated,
  userJson,
  type Answer,
} from "./fake-dc-json.js";

/** The REST API under `/rest/api/latest`, answered for `user` (undefined: anonymous). */
export function rest(
  store: FakeDataCenterStore,
  user: FakeDataCenterUser | undefined,
  path: string,
  query: URLSearchParams,
  base: string,
  maxPageSize: number,
): Answer {
  if (path === "/application-properties")
    return {
      status: 200,
      body: {
        version: "8.19.0",
        buildNumber: "8019000",
        buildDate: "1700000000000",
        displayName: "Bitbucket",
      },
    };
  if (!user) {
    // Public projects and repositories answer anonymous callers too; everything else needs a user.
    const publicRepo = /^\/projects\/([^/]+)\/repos\/([^/]+)$/.exec(path);
    if (publicRepo && store.project(publicRepo[1] ?? "")?.public)
      return { status: 200, body: repoJson(publicRepo[1] ?? "", publicRepo[2] ?? "", base, store.projects) };
    return unauthenticated();
  }
  if (path === "/users") {
    const filter = (query.get("filter") ?? "").toLowerCase();
    const found = store.users.filter((u) =>
      [u.name, u.displayName, u.emailAddress].some((f) => f.toLowerCase().includes(filter)),
    );
    return page(
      found.map((u) => userJson(u, base, query.get("avatarSize"))),
      query,
      maxPageSize,
    );
  }
  const oneUser = /^\/users\/([^/]+)$/.exec(path);
  if (oneUser) {
    const u = store.users.find((x) => x.slug === decodeURIComponent(oneUser[1] ?? ""));
    return u
      ? { status: 200, body: userJson(u, base, query.get("avatarSize")) }
      : errors(404, `User ${oneUser[1]} does not exist.`, "com.atlassian.bitbucket.user.NoSuchUserException");
  }
  if (path === "/projects") {
    const rank = rankOf(query.get("permission"), "PROJECT_");
    if (rank === undefined)
      return errors(
        400,
        "Invalid permission",
        "com.atlassian.bitbucket.validation.ArgumentValidationException",
      );
    const keys = Object.keys(store.projects).filter((k) =>
      query.get("permission") === null ? store.canSeeProject(user, k) : store.projectRank(user, k) >= rank,
    );
    return page(
      keys.map((k) => projectJson(k, base, store.projects)),
      query,
      maxPageSize,
    );
  }
  const project = /^\/projects\/([^/]+)$/.exec(path);
  if (project) {
    const key = (project[1] ?? "").toUpperCase();
    if (!store.project(key))
      return errors(
        404,
        `Project ${key} does not exist.`,
        "com.atlassian.bitbucket.project.NoSuchProjectException",
      );
    return store.canSeeProject(user, key)
      ? { status: 200, body: projectJson(key, base, store.projects) }
      : notPermitted();
  }
  const repo = /^\/projects\/([^/]+)\/repos\/([^/]+)$/.exec(path);
  if (repo) {
    const key = (repo[1] ?? "").toUpperCase();
    const slug = decodeURIComponent(repo[2] ?? "");
    if (!store.project(key)?.repos.includes(slug))
      return errors(
        404,
        `Repository ${key}/${slug} does not exist.`,
        "com.atlassian.bitbucket.repository.NoSuchRepositoryException",
      );
    return store.repoRank(user, key, slug) > 0
      ? { status: 200, body: repoJson(key, slug, base, store.projects) }
      : notPermitted();
  }
  if (path === "/repos") {
    const rank = rankOf(query.get("permission"), "REPO_");
    if (rank === undefined)
      return errors(
        400,
        "Invalid permission",
        "com.atlassian.bitbucket.validation.ArgumentValidationException",
      );
    const onlyKey = query.get("projectkey")?.toUpperCase();
    const all = Object.entries(store.projects).flatMap(([k, p]) =>
      onlyKey && k !== onlyKey ? [] : p.repos.map((r) => [k, r] as const),
    );
    const visible = all.filter(([k, r]) => store.repoRank(user, k, r) >= rank);
    return page(
      visible.map(([k, r]) => repoJson(k, r, base, store.projects)),
      query,
      maxPageSize,
    );
  }
  return errors(404, "Not found", "com.atlassian.bitbucket.NoSuchEntityException");
}

/** How `X-AUSERNAME` carries a name that is not plain ASCII (see FakeDataCenterOptions). */
export type UserNameEncoding = "percent" | "utf-8";

/**
 * The user headers of an authenticated answer. A plain ASCII name goes as it is; any other is
 * percent-encoded, or sent as raw UTF-8 bytes (written as a Latin-1 string, which Node sends byte
 * for byte, so a client reads it the way it reads a real instance's raw header).
 */
export function userHeaders(user: FakeDataCenterUser, encoding: UserNameEncoding): Record<string, string> {
  const plain = /^[\x20-\x7e]*$/.test(user.name);
  const name = plain
    ? user.name
    : encoding === "percent"
      ? encodeURIComponent(user.name)
      : Buffer.from(user.name, "utf8").toString("latin1");
  return { "X-AUSERNAME": name, "X-AUSERID": String(user.id) };
}

/** Writes an answer, naming the user on every authenticated one, as Data Center does (even a 404). */
export function send(
  res: ServerResponse,
  answer: Answer,
  user: FakeDataCenterUser | undefined,
  override?: { readonly userName?: string | null; readonly userId?: string | null },
  encoding: UserNameEncoding = "percent",
): void {
  const headers: Record<string, string> = {
    "Content-Type": "application/json;charset=UTF-8",
    Vary: "x-ausername,x-auserid,cookie,accept-encoding",
    ...(user ? userHeaders(user, encoding) : {}),
  };
  for (const [header, value] of [
    ["X-AUSERNAME", override?.userName],
    ["X-AUSERID", override?.userId],
  ] as const) {
    if (value === null) delete headers[header];
    else if (value !== undefined) headers[header] = value;
  }
  res.writeHead(answer.status, headers).end(JSON.stringify(answer.body));
}
