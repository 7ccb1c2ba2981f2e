import type { IncomingMessage, ServerResponse } from "node:http";
import { json } from "./fake-http.js";
import type { FakeBitbucket, FakeDecision, FakeWorkspaceRole } from "../cloud/fake-types.js";

type Controls = Pick<FakeBitbucket, "setDecision" | "setDefaultUser" | "setWorkspaceRole">;
const ROLES: readonly string[] = ["member", "collaborator", "owner"];

/**
 * The fake's own HTTP controls, so curl can drive it (they are not Bitbucket's):
 * - `POST /_fake/decision` with `auto`, `approve` or `deny`;
 * - `POST /_fake/user` with a nickname or uuid: who approves the next authorize;
 * - `PUT /_fake/users/{user}/workspaces/{slug}` with a role, `DELETE` to remove the membership.
 */
export function control(c: Controls, req: IncomingMessage, res: ServerResponse, url: URL, body: string) {
  const value = body.trim();
  const [, , kind, id, what, slug, extra] = url.pathname.split("/").map((p) => decodeURIComponent(p));
  try {
    if (req.method === "POST" && kind === "decision" && id === undefined) {
      if (!["auto", "approve", "deny"].includes(value))
        return json(res, 400, { error: "auto, approve or deny" });
      c.setDecision(value as FakeDecision);
      return json(res, 200, { decision: value });
    }
    if (req.method === "POST" && kind === "user" && id === undefined) {
      c.setDefaultUser(value);
      return json(res, 200, { user: value });
    }
    if (kind === "users" && id && what === "workspaces" && slug && extra === undefined) {
      if (req.method === "DELETE") {
        c.setWorkspaceRole(id, slug, null);
        return json(res, 200, { user: id, workspace: slug, role: null });
      }
      if (req.method === "PUT" && ROLES.includes(value)) {
        c.setWorkspaceRole(id, slug, value as FakeWorkspaceRole);
        return json(res, 200, { user: id, workspace: slug, role: value });
      }
      return json(res, 400, { error: "PUT a role (member, collaborator or owner), or DELETE" });
    }
  } catch (err) {
    return json(res, 404, { error: (err as Error).message });
  }
  json(res, 404, { error: "unknown control" });
}
