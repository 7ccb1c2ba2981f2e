// Behind a reverse proxy that strips a path prefix: the public URL is /app/auth/…, Express sees
// /auth/…. Real nginx (Debian's) in front of a real app with a real Lucia on SQLite, and the fake
// Bitbucket on loopback; the agent talks to nginx only.
import { afterEach, describe, expect, it } from "@jest/globals";
import type { Server } from "node:http";
import type { AddressInfo } from "node:net";
import request from "supertest";
import { approveAtFake, setCookie, startHarness, type Harness } from "../helpers/harness.js";
import { hasNginx, NGINX, startNginx, type Nginx } from "../helpers/nginx.js";
import { freePort } from "../helpers/processes.js";
import { requireTool } from "../helpers/requirements.js";

let h: Harness | undefined;
let proxy: Nginx | undefined;
let server: Server | undefined;
afterEach(async () => {
  await proxy?.close();
  server?.closeAllConnections();
  await new Promise((resolve) => (server ? server.close(resolve) : resolve(undefined)));
  await h?.close();
  h = proxy = server = undefined;
});

/** The app mounted at /auth, behind nginx's `location /app/ { proxy_pass http://app/; }`. */
async function behindProxy(router: Record<string, unknown>) {
  const port = await freePort();
  h = await startHarness({
    mount: "/auth",
    router: { redirectUri: `http://127.0.0.1:${port}/app/auth/login/bitbucket/callback`, ...router },
  });
  server = h.app.listen(0, "127.0.0.1");
  await new Promise((resolve) => server!.once("listening", resolve));
  const app = (server.address() as AddressInfo).port;
  proxy = await startNginx(
    () => `    location /app/ {
      proxy_pass http://127.0.0.1:${app}/;
      proxy_set_header Host $http_host;
      proxy_redirect off;
    }`,
    port,
  );
  return { agent: request.agent(proxy.origin), origin: proxy.origin };
}

if (requireTool(hasNginx, `nginx at ${NGINX}`, "apt-get install -y nginx")) {
  describe("publicPath behind nginx stripping /app", () => {
    it("logs in through the proxy, lands on returnTo under the prefix, and the session works there", async () => {
      const { agent, origin } = await behindProxy({ publicPath: "/app" });
      const start = await agent.get("/app/auth/login/bitbucket?returnTo=/dashboard?tab=1");
      expect(start.status).toBe(302);
      // The state cookie's path is the one the browser sees, so it comes back to the callback.
      expect(setCookie(start, "bitbucket_oauth_state")).toMatch(/; Path=\/app\/auth\/login\/bitbucket;/);
      const authorize = new URL(start.headers.location as string);
      expect(authorize.searchParams.get("redirect_uri")).toBe(`${origin}/app/auth/login/bitbucket/callback`);
      const callback = await approveAtFake(start.headers.location as string);
      expect(callback).toMatch(/^\/app\/auth\/login\/bitbucket\/callback\?/);
      const done = await agent.get(callback);
      expect(done.status).toBe(302);
      expect(done.headers.location).toBe("/app/dashboard?tab=1");
      const me = await agent.get("/app/me");
      expect(me.status).toBe(200);
      expect(me.body.userId).toEqual(expect.any(String));
      expect((await h!.db.counts()).sessions).toBe(1);
    });

    it("sends a login without returnTo, and a failure, under the prefix too", async () => {
      const { agent } = await behindProxy({ publicPath: "/app", failureRedirect: "/signed-out" });
      const start = await agent.get("/app/auth/login/bitbucket");
      const done = await agent.get(await approveAtFake(start.headers.location as string));
      expect(done.headers.location).toBe("/app/");
      const replay = await agent.get("/app/auth/login/bitbucket/callback?code=x&state=y");
      expect(replay.status).toBe(302);
      expect(replay.headers.location).toBe("/app/signed-out?error=STATE_COOKIE_MISSING");
    });

    it("without publicPath, answers MOUNT_PATH_MISMATCH naming publicPath as the fix, and signs no one in", async () => {
      const { agent } = await behindProxy({});
      const res = await agent.get("/app/auth/login/bitbucket");
      expect(res.status).toBe(500);
      expect(res.body.error).toBe("MOUNT_PATH_MISMATCH");
      expect(res.body.message).toContain(
        'If a reverse proxy strips "/app" before Express sees the request, pass publicPath: "/app" instead.',
      );
      expect((await h!.db.counts()).sessions).toBe(0);
    });
  });
}
