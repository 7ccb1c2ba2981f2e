import type { IncomingMessage, ServerResponse } from "node:http";
import { json } from "../http/fake-http.js";
import type { FakeDataCenter } from "./fake-dc-types.js";

type Controls = Pick<FakeDataCenter, "approveAs" | "deny" | "renameUser" | "setPermission">;
const PERMISSIONS: readonly string[] = ["read", "write", "admin"];

/**
 * The fake Data Center's own HTTP controls, at the server root and under its context path alike,
 * so curl can drive it (they are not Bitbucket's):
 * - `POST /_fake/user` with a user name: who approves the next authorize; `deny` denies;
 * - `POST /_fake/users/{id}/rename` with `name=…&slug=…`: a rename that keeps the id;
 * - `PUT /_fake/users/{name}/permissions/{KEY or KEY/slug}` with `read`, `write` or `admin`;
 *   `DELETE` removes it.
 */
export function dataCenterControl(
  c: Controls,
  req: IncomingMessage,
  res: ServerResponse,
  url: URL,
  body: string,
) {
  const value = body.trim();
  const [, , kind, id, what, ...resource] = url.pathname.split("/").map((p) => decodeURIComponent(p));
  try {
    if (req.method === "POST" && kind === "user" && id === undefined) {
      if (value === "deny") c.deny();
      else c.approveAs(value);
      return json(res, 200, { user: value });
    }
    if (req.method === "POST" && kind === "users" && id && what === "rename" && resource.length === 0) {
      const form = new URLSearchParams(value);
      c.renameUser(Number(id), {
        ...(form.get("name") ? { name: form.get("name") ?? "" } : {}),
        ...(form.get("slug") ? { slug: form.get("slug") ?? "" } : {}),
      });
      return json(res, 200, { id: Number(id), ...Object.fromEntries(form) });
    }
    if (kind === "users" && id && what === "permissions" && resource.length > 0 && resource.length <= 2) {
      const target = resource.join("/");
      if (req.method === "DELETE") {
        c.setPermission(id, target, null);
        return json(res, 200, { user: id, resource: target, permission: null });
      }
      if (req.method === "PUT" && PERMISSIONS.includes(value)) {
        c.setPermission(id, target, value as "read");
        return json(res, 200, { user: id, resource: target, permission: value });
      }
      return json(res, 400, { error: "PUT read, write or admin, or DELETE" });
    }
  } catch (err) {
    return json(res, 404, { error: (err as Error).message });
  }
  json(res, 404, { error: "unknown control" });
}
