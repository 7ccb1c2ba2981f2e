import { afterAll, beforeAll, describe, expect, it } from "@jest/globals";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { BrowserContext } from "playwright-core";
import { hasChromium, launchChromium, CHROMIUM } from "../helpers/chromium.js";
import { freePort, ROOT, startExample, type Spawned } from "../helpers/processes.js";
import { requireTool } from "../helpers/requirements.js";

let APP: string;

if (requireTool(hasChromium, `Chromium at ${CHROMIUM}`, "apt-get install -y chromium")) {
  describe("a real browser logs in through the fake Bitbucket's approve page", () => {
    let server: Spawned;
    let browser: { context: BrowserContext; close(): Promise<void> };
    let dir: string;

    beforeAll(async () => {
      dir = mkdtempSync(join(tmpdir(), "elb-browser-"));
      const port = await freePort();
      APP = `http://localhost:${port}`;
      server = await startExample(port, { DATABASE_PATH: join(dir, "example.sqlite") });
      browser = await launchChromium();
    });
    afterAll(async () => {
      await browser?.close();
      await server?.stop();
      rmSync(dir, { recursive: true, force: true });
    });

    it("approves on another site and lands back signed in, with safe cookies", async () => {
      const page = await browser.context.newPage();
      await page.goto(`${APP}/`);
      await page.click("text=Log in with Bitbucket");
      // The fake runs on 127.0.0.1, a different site from localhost: SameSite=Lax is really exercised.
      await page.waitForSelector("#approve");
      expect(new URL(page.url()).hostname).toBe("127.0.0.1");
      await page.click("#approve");
      await page.waitForURL(`${APP}/`);
      expect(await page.textContent("#name")).toBe("Ada Fake");

      const cookies = await browser.context.cookies(APP);
      const session = cookies.find((c) => c.name === "auth_session");
      expect(session).toMatchObject({ httpOnly: true, sameSite: "Lax" });
      expect(cookies.find((c) => c.name.startsWith("bitbucket_oauth_state"))).toBeUndefined();
      if (process.env.SCREENSHOT === "1") await page.screenshot({ path: join(ROOT, "docs/signed-in.png") });
      await page.close();
    });

    it("shows a readable error, not a stack trace, when the person denies", async () => {
      const page = await browser.context.newPage();
      await page.goto(`${APP}/`);
      await page.click("text=Sign out");
      await page.waitForSelector("text=Log in with Bitbucket");
      await page.click("text=Log in with Bitbucket");
      await page.click("#deny");
      await page.waitForSelector("#error-code");
      expect(await page.textContent("#error-code")).toBe("ACCESS_DENIED");
      const text = (await page.textContent("body")) ?? "";
      expect(text).toContain("Access to the Bitbucket account was denied.");
      expect(text).not.toMatch(/at .*\.(js|ts):\d+|Error:/);
      const cookies = await browser.context.cookies(APP);
      expect(cookies.find((c) => c.name === "auth_session")).toBeUndefined();
      await page.close();
    });
  });
}
