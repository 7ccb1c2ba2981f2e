// Set-up 1 of docs/forward-auth.md through real nginx, with the shipped same-host.conf: the login
// and the check on the protected app's own host under /_auth, and a host-only session cookie.
import { afterAll, beforeAll, describe, expect, it } from "@jest/globals";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import type { Server } from "node:http";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import express from "express";
import { bitbucketForwardAuth, memoryTokenStore } from "../../../src/index.js";
import { ACCESS_FAKE } from "../../helpers/access-fixtures.js";
import { makeCertificate, rawGet, rewrite, shipped } from "../../helpers/forward-auth-stack.js";
import { approveAtFake, startHarness, type Harness } from "../../helpers/harness.js";
import { hasNginx, NGINX, startNginxHttp, type Nginx } from "../../helpers/nginx.js";
import { freePort } from "../../helpers/processes.js";
import { requireTool } from "../../helpers/requirements.js";

const allow = { workspaces: ["fake-team"] };
const client = { clientId: "fake-client-id", clientSecret: "fake-client-secret" };
/** The `name=value` of one Set-Cookie line, for the next request's Cookie header. */
const pair = (line: string) => line.split(";")[0] ?? "";

if (requireTool(hasNginx, `nginx at ${NGINX}`, "apt-get install -y nginx")) {
  describe("forward-auth on the app's own host (set-up 1), behind nginx", () => {
    let h: Harness;
    let nginx: Nginx;
    let app: Server;
    let upstream: Server;
    let dir: string;
    let port: number;
    const seen: Record<string, string | string[] | undefined>[] = [];

    beforeAll(async () => {
      dir = mkdtempSync(join(tmpdir(), "elb-same-host-"));
      makeCertificate(dir);
      port = await freePort();
      const redirectUri = `https://grafana.example.com:${port}/_auth/login/bitbucket/callback`;
      const tokens = memoryTokenStore();
      h = await startHarness({
        fake: ACCESS_FAKE,
        mount: "/_auth",
        router: { redirectUri, allow, tokens },
        afterRouter: (a, auth) =>
          a.use(
            "/_auth",
            bitbucketForwardAuth(auth, {
              allow,
              ...client,
              tokens,
              loginUrl: "/_auth/login/bitbucket",
              rules: { grafana: { repositories: ["fake-team/handbook"] } },
            }),
          ),
      });
      app = h.app.listen(0, "127.0.0.1");
      const echo = express().use((req, res) => {
        seen.push(req.headers);
        res.send("grafana");
      });
      upstream = echo.listen(0, "127.0.0.1");
      await Promise.all([app, upstream].map((s) => new Promise((r) => s.once("listening", r))));
      const portOf = (s: Server) => (s.address() as AddressInfo).port;
      const conf = rewrite(shipped("nginx/same-host.conf"), [
        ["listen 443 ssl;", `listen 127.0.0.1:${port} ssl;`],
        ["/etc/ssl/example.com/", `${dir}/`],
        ["127.0.0.1:3000", `127.0.0.1:${portOf(app)}`],
        ["127.0.0.1:8082", `127.0.0.1:${portOf(upstream)}`],
      ]);
      nginx = await startNginxHttp((prefix) => {
        writeFileSync(join(prefix, "protect.conf"), shipped("nginx/protect.conf"));
        return conf;
      }, port);
    }, 60_000);

    afterAll(async () => {
      await nginx?.close();
      for (const s of [app, upstream]) {
        s?.closeAllConnections();
        await new Promise((r) => (s ? s.close(r) : r(undefined)));
      }
      await h?.close();
      rmSync(dir, { recursive: true, force: true });
    });

    it("logs in on the app's own host, with a host-only cookie, and opens the app with who signed in", async () => {
      const first = await rawGet(port, "grafana", "/d/1?x=2");
      expect(first.status).toBe(302);
      expect(first.headers.location).toBe("/_auth/login/bitbucket?returnTo=%2Fd%2F1%3Fx%3D2");
      const start = await rawGet(port, "grafana", first.headers.location as string);
      expect(start.status).toBe(302);
      const state = (start.headers["set-cookie"] as string[]).map(pair);
      const callback = await approveAtFake(start.headers.location as string);
      const done = await rawGet(port, "grafana", callback, { Cookie: state.join("; ") });
      expect(done.status).toBe(302);
      expect(done.headers.location).toBe("/d/1?x=2");
      const session = (done.headers["set-cookie"] as string[]).find((l) => l.startsWith("auth_session="))!;
      // Host-only: no Domain, so no sibling host ever receives it.
      expect(session).not.toMatch(/domain=/i);
      const res = await rawGet(port, "grafana", "/d/1?x=2", {
        Cookie: pair(session),
        "X-Auth-Request-User": "mallory",
      });
      expect({ status: res.status, body: res.body }).toEqual({ status: 200, body: "grafana" });
      expect(seen.at(-1)?.["x-auth-request-user"]).toBe("ada");
      expect(seen.at(-1)?.["x-auth-request-repository"]).toBe("fake-team/handbook");
      // The check itself is internal: the browser cannot ask it under nginx's name for it.
      expect((await rawGet(port, "grafana", "/_forward_auth/check", { Cookie: pair(session) })).status).toBe(
        404,
      );
    });
  });
}
