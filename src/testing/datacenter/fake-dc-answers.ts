// The fake Data Center's answers outside its OAuth provider and REST API: applinks/whoami, and faults.
import type { ServerResponse } from "node:http";
import { userHeaders } from "./fake-dc-rest.js";
import type { FakeDataCenterStore } from "./fake-dc-store.js";
import type { FakeDataCenterFault, FakeDataCenterOptions } from "./fake-dc-types.js";

/**
 * `GET /plugins/servlet/applinks/whoami`: the name of the user a Bearer token belongs to, as
 * `text/plain` with the user headers (Backstage's Bitbucket Server provider and go-scm read it), or
 * the login page on newer instances. Without a live token: 401 and no name (a guess).
 */
export function whoami(
  res: ServerResponse,
  store: FakeDataCenterStore,
  authorization: string | undefined,
  base: string,
  options: FakeDataCenterOptions,
): void {
  if (options.tokensOutsideRest === "login-page" && authorization !== undefined)
    return void res
      .writeHead(302, { Location: `${base}/login?next=%2Fplugins%2Fservlet%2Fapplinks%2Fwhoami` })
      .end();
  const user = store.bearer(authorization);
  if (!user) return void res.writeHead(401, { "Content-Type": "text/plain;charset=UTF-8" }).end();
  res
    .writeHead(200, {
      "Content-Type": "text/plain;charset=UTF-8",
      ...userHeaders(user, options.userNameEncoding ?? "percent"),
    })
    .end(user.name);
}

/** Answers with a fault: a status (429 with `Retry-After`), an HTML page, or a body that never ends. */
export function applyFault(
  fault: Exclude<FakeDataCenterFault, { kind: "headers" | "json" }>,
  res: ServerResponse,
): void {
  if (fault.kind === "status") {
    const headers: Record<string, string> = { "Content-Type": "application/json" };
    if (fault.status === 429) headers["Retry-After"] = String(fault.retryAfter ?? 30);
    res.writeHead(fault.status, headers).end(
      JSON.stringify({
        errors: [{ context: null, message: `Fault ${fault.status}`, exceptionName: null }],
      }),
    );
  } else if (fault.kind === "html") {
    res
      .writeHead(fault.status ?? 200, { "Content-Type": "text/html" })
      .end("<!doctype html><h1>Bitbucket is starting up</h1>");
  } else {
    res.writeHead(200, { "Content-Type": "application/json" });
    res.write('{"values": [');
    // The client's hang-up ends the socket; close() ends the rest.
    res.req.resume();
    res.socket?.once("end", () => res.socket?.destroy());
  }
}
