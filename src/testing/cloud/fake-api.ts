import { CLOUD_CHALLENGE } from "./fake-challenge.js";
import type { IncomingMessage, ServerResponse } from "node:http";
import { json } from "../http/fake-http.js";
import { userJson, type FakeStore } from "./fake-store.js";
import type { FakeBitbucketUser, FakeWorkspace } from "./fake-types.js";

/** The API endpoints of `api.bitbucket.org` the fake serves. */
export type ApiEndpoint = "user" | "emails" | "workspaces" | "permission" | "repository";

const API = "https://api.bitbucket.org";
const API_ERRORS = {
  invalid: "Token is invalid, expired, or not supported for this endpoint.",
  expired: "Access token expired. Use your refresh token to obtain a new access token.",
  query: "Access tokens are accepted only in the Authorization header (CHANGE-3052).",
} as const;
const NEEDS: Readonly<Record<ApiEndpoint, string>> = {
  user: "account",
  emails: "email",
  workspaces: "account",
  permission: "account",
  repository: "repository",
};

const error = (res: ServerResponse, status: number, message: string, detail?: unknown) =>
  json(
    res,
    status,
    { type: "error", error: { message, ...(detail ? { detail } : {}) } },
    status === 401 ? CLOUD_CHALLENGE : {},
  );

/**
 * The API as of 2026: Bearer header only (a token in `?access_token=` is refused), the permission
 * each endpoint needs, then the endpoint's answer.
 */
export function api(
  store: FakeStore,
  req: IncomingMessage,
  res: ServerResponse,
  endpoint: ApiEndpoint,
  url: URL,
) {
  if (url.searchParams.has("access_token")) return error(res, 401, API_ERRORS.query);
  const bearer = /^Bearer (.+)$/i.exec(req.headers.authorization ?? "")?.[1];
  const grant = bearer === undefined ? undefined : store.grantFor(bearer);
  if (grant === undefined) return error(res, 401, API_ERRORS.invalid);
  if (grant === "expired") return error(res, 401, API_ERRORS.expired);
  const needed = NEEDS[endpoint];
  if (!grant.scopes.includes(needed)) {
    return error(res, 403, "Your credentials lack one or more required privilege scopes.", {
      required: [needed],
      granted: grant.scopes,
    });
  }
  const user = store.users.get(grant.uuid);
  if (!user) return error(res, 404, "User not found");
  switch (endpoint) {
    case "user":
      return json(res, 200, userJson(user));
    case "emails":
      return json(
        res,
        200,
        page(user.emails ?? [], url, "/2.0/user/emails", (e) => ({
          ...e,
          type: "email",
          links: { self: { href: `${API}/2.0/user/emails/${encodeURIComponent(e.email)}` } },
        })),
      );
    case "workspaces":
      return json(
        res,
        200,
        page(memberships(store, user), url, "/2.0/user/workspaces", (m) => ({
          type: "workspace_access",
          administrator: m.role === "owner",
          workspace: workspaceJson(m.workspace),
        })),
      );
    case "permission":
      return permission(store, user, res, url);
    case "repository":
      return repository(user, res, url);
  }
}

/** `GET /2.0/user/workspaces/{slug or {uuid}}/permission`: the role, or 404 when not a member. */
function permission(store: FakeStore, user: FakeBitbucketUser, res: ServerResponse, url: URL) {
  const id = decodeURIComponent(url.pathname.split("/")[4] ?? "");
  const ws = store.workspace(id);
  const role = ws ? store.memberships.get(user.uuid)?.get(ws.slug) : undefined;
  if (!ws || !role) return error(res, 404, `No workspace membership found for ${id}.`);
  json(res, 200, {
    type: "workspace_membership",
    permission: role,
    user: { type: "user", uuid: user.uuid, display_name: user.display_name ?? "Fake User" },
    workspace: workspaceJson(ws),
  });
}

/** `GET /2.0/repositories/{ws}/{repo}`: 200 when the account can read it, 404 as for a private one. */
function repository(user: FakeBitbucketUser, res: ServerResponse, url: URL) {
  const [, , , ws = "", repo = ""] = url.pathname.split("/").map(decodeURIComponent);
  const fullName = `${ws}/${repo}`;
  const readable = (user.repositories ?? []).some((r) => r.toLowerCase() === fullName.toLowerCase());
  if (!readable) return error(res, 404, `Repository ${fullName} not found`);
  json(res, 200, {
    type: "repository",
    full_name: fullName,
    name: repo,
    slug: repo,
    is_private: true,
    links: { html: { href: `https://bitbucket.org/${fullName}` } },
  });
}

function memberships(store: FakeStore, user: FakeBitbucketUser) {
  return [...(store.memberships.get(user.uuid) ?? new Map())].flatMap(([slug, role]) => {
    const workspace = store.workspaces.get(slug);
    return workspace ? [{ workspace, role }] : [];
  });
}

function workspaceJson(ws: Required<FakeWorkspace>) {
  return {
    type: "workspace",
    uuid: ws.uuid,
    slug: ws.slug,
    name: ws.name,
    links: { html: { href: `https://bitbucket.org/${ws.slug}/` } },
  };
}

/** Bitbucket's paging: `pagelen` (1–100, default 10), `page`, and an absolute `next` URL. */
function page<T>(all: readonly T[], url: URL, path: string, shape: (item: T) => unknown) {
  const pagelen = Math.min(Math.max(Number(url.searchParams.get("pagelen")) || 10, 1), 100);
  const number = Math.max(Number(url.searchParams.get("page")) || 1, 1);
  const values = all.slice((number - 1) * pagelen, number * pagelen).map(shape);
  const next =
    number * pagelen < all.length ? { next: `${API}${path}?page=${number + 1}&pagelen=${pagelen}` } : {};
  return { pagelen, values, page: number, size: all.length, ...next };
}
