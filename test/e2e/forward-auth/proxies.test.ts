// Forward-auth through the real proxies, in real Chromium, on both editions: nginx `auth_request`
// and Caddy `forward_auth`, each with the files shipped in examples/forward-auth/, in front of
// three apps of the test's, with the example server (FORWARD_AUTH=1) as the auth host.
import { afterAll, beforeAll, describe, expect, it } from "@jest/globals";
import type { BrowserContext, Page } from "playwright-core";
import { CHROMIUM, hasChromium, launchChromium } from "../../helpers/chromium.js";
import { CADDY, hasCaddy } from "../../helpers/caddy.js";
import { hasNginx, NGINX } from "../../helpers/nginx.js";
import { requireTool } from "../../helpers/requirements.js";
import {
  rawGet,
  startStack,
  type Edition,
  type ProxyKind,
  type Stack,
} from "../../helpers/forward-auth-stack.js";

const who = async (page: Page) =>
  JSON.parse((await page.textContent("#who")) ?? "{}") as Record<string, string>;

/** Opens `url`; when the login comes up at the fake Cloud's consent page, grants it; back on `url`. */
async function open(page: Page, url: string): Promise<void> {
  await page.goto(url);
  if (page.url() !== url && (await page.locator("#approve").count())) {
    await page.click("#approve");
    await page.waitForURL(url);
  }
}

/** Opens `url` as far as it goes: through the fake Cloud's consent page, if the login shows it. */
async function visit(page: Page, url: string): Promise<void> {
  await page.goto(url);
  if (await page.locator("#approve").count()) {
    await page.click("#approve");
    await page.waitForLoadState();
  }
}

/**
 * Polls (reloading) until the browser ends up on the auth host instead of the app: the condition,
 * not a fixed wait. Under load a reload may land elsewhere first (the check racing the revocation
 * of the request before it); the poll goes on until the login has it.
 */
async function untilRefused(page: Page, url: string, auth: string, timeoutMs = 20_000): Promise<void> {
  const end = Date.now() + timeoutMs;
  for (;;) {
    await visit(page, url);
    if (page.url().startsWith(auth) && (await page.locator("#error-code").count())) return;
    if (Date.now() > end) throw new Error(`${url} still opened after ${timeoutMs} ms`);
    await page.waitForTimeout(100);
  }
}

const EXPECTED: Record<Edition, { name: string; email: string; admitted: Record<string, string> }> = {
  cloud: {
    name: "ada",
    email: "ada@fake-bitbucket.test",
    admitted: { "x-auth-request-workspace": "fake-team", "x-auth-request-role": "member" },
  },
  datacenter: {
    name: "ada",
    email: "ada@dc.test",
    admitted: { "x-auth-request-project": "ENG", "x-auth-request-permission": "read" },
  },
};

const cases: [ProxyKind, Edition][] = [
  ["nginx", "cloud"],
  ["nginx", "datacenter"],
  ["caddy", "cloud"],
  ["caddy", "datacenter"],
];

const ready =
  requireTool(hasChromium, `Chromium at ${CHROMIUM}`, "apt-get install -y chromium") &&
  requireTool(hasNginx, `nginx at ${NGINX}`, "apt-get install -y nginx") &&
  requireTool(hasCaddy, `Caddy at ${CADDY}`, "apt-get install -y caddy");

if (ready) {
  describe.each(cases)("forward-auth behind %s, Bitbucket %s", (proxy, edition) => {
    let stack: Stack;
    let browser: { context: BrowserContext; close(): Promise<void> };
    beforeAll(async () => {
      stack = await startStack(proxy, edition);
      browser = await launchChromium([
        "--ignore-certificate-errors",
        "--host-resolver-rules=MAP *.example.com 127.0.0.1",
      ]);
    }, 60_000);
    afterAll(async () => {
      await browser?.close();
      await stack?.close();
    });

    it("sends a stranger to the login and back, then passes who they are to the app", async () => {
      const page = await browser.context.newPage();
      await open(page, stack.url("docs", "/page?tab=2"));
      // Through the login on the auth host, Bitbucket (the fake) and the callback, back where it began.
      expect(page.url()).toBe(stack.url("docs", "/page?tab=2"));
      const headers = await who(page);
      const expected = EXPECTED[edition];
      expect(headers).toMatchObject({
        "x-auth-request-user": expected.name,
        "x-auth-request-email": expected.email,
        "x-auth-request-rule": "docs",
        ...expected.admitted,
      });
      expect(headers["x-auth-request-user-id"]).toMatch(/\S/);
      // The session cookie is the parent domain's, and the state cookies stayed __Host- on the auth host.
      const cookies = await browser.context.cookies(stack.url("docs"));
      expect(cookies.find((c) => c.name === "auth_session")?.domain).toBe(".example.com");
      await page.close();
    });

    it("opens a second app that allows the user, and not a third, which never sees the request", async () => {
      const page = await browser.context.newPage();
      await page.goto(stack.url("grafana", "/d/1"));
      expect(await page.textContent("#app")).toBe("grafana");
      expect((await who(page))["x-auth-request-rule"]).toBe("grafana");
      const response = await page.goto(stack.url("jenkins", "/job/deploy"));
      expect(response?.status()).toBe(403);
      expect(stack.seen.jenkins).toHaveLength(0);
      await page.close();
    });

    it("never lets the browser's own identity headers or X-Forwarded-* through", async () => {
      const cookie = (await browser.context.cookies(stack.url("docs")))
        .map((c) => `${c.name}=${c.value}`)
        .join("; ");
      const forged = {
        "X-Auth-Request-User": "mallory",
        "X-Auth-Request-Email": "mallory@evil.test",
        "X-Auth-Request-Role": "owner",
        "X-Auth-Request-Project": "OPS",
      };
      const before = stack.seen.docs.length;
      const res = await rawGet(stack.port, "docs", "/", { Cookie: cookie, ...forged });
      expect(res.status).toBe(200);
      const got = stack.seen.docs.slice(before).at(-1)!.headers;
      expect(got["x-auth-request-user"]).toBe(EXPECTED[edition].name);
      expect(got["x-auth-request-email"]).toBe(EXPECTED[edition].email);
      expect(got["x-auth-request-role"] ?? "").not.toBe("owner");
      expect(got["x-auth-request-project"] ?? "").not.toBe("OPS");
      // Without a session, a forged host is never where the login sends the browser back to.
      const anonymous = await rawGet(stack.port, "docs", "/x", {
        "X-Forwarded-Host": "evil.test",
        "X-Forwarded-Proto": "http",
        "X-Forwarded-Uri": "//evil.test/",
      });
      expect(anonymous.status).toBe(302);
      const login = new URL(anonymous.headers.location as string);
      expect(login.origin).toBe(new URL(stack.url("auth")).origin);
      expect(login.searchParams.get("returnTo")).toBe(stack.url("docs", "/x"));
    });

    it("logout on the auth host closes every app", async () => {
      const page = await browser.context.newPage();
      const old = (await browser.context.cookies(stack.url("docs"))).find((c) => c.name === "auth_session")!;
      await page.goto(stack.url("auth", "/"));
      await page.click("button[type=submit]");
      await page.waitForURL(stack.url("auth", "/"));
      for (const app of ["docs", "grafana"] as const) {
        const res = await rawGet(stack.port, app, "/", { Cookie: `auth_session=${old.value}` });
        expect({ app, status: res.status }).toEqual({ app, status: 302 });
        expect(res.headers.location).toMatch(
          new RegExp(`^${stack.url("auth", "/login/bitbucket")}\\?returnTo=`),
        );
      }
      await page.close();
    });

    it("refuses someone removed from the rules while signed in, once the interval has passed", async () => {
      const page = await browser.context.newPage();
      // Signed in again (the fake approves at once), then taken out of the login's rule.
      await open(page, stack.url("docs", "/"));
      expect(await page.textContent("#app")).toBe("docs");
      stack.removeAda();
      try {
        await untilRefused(page, stack.url("docs", "/"), stack.url("auth"));
        // Sent to the login, where the gate refuses them; from then on the app sees nothing.
        expect(await page.textContent("#error-code")).toBe("ACCESS_NOT_ALLOWED");
        const refused = stack.seen.docs.length;
        await visit(page, stack.url("docs", "/again"));
        expect(await page.textContent("#error-code")).toBe("ACCESS_NOT_ALLOWED");
        expect(stack.seen.docs.length).toBe(refused);
      } finally {
        stack.restoreAda();
        await page.close();
      }
    });
  });
}
