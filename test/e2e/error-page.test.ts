// What a failed sign-in answers through bitbucketErrorHandler: a small HTML page to a browser, JSON
// to everything else, and failureRedirect over both when set. Real app, real fake Bitbucket, real
// SQLite, and real Chromium for the page.
import { afterAll, afterEach, beforeAll, describe, expect, it } from "@jest/globals";
import express from "express";
import type { Server } from "node:http";
import type { AddressInfo } from "node:net";
import { join } from "node:path";
import request from "supertest";
import { BitbucketAuthError, bitbucketErrorHandler } from "../../src/index.js";
import { CHROMIUM, hasChromium, launchChromium } from "../helpers/chromium.js";
import { startHarness, type Harness } from "../helpers/harness.js";
import { ROOT } from "../helpers/processes.js";
import { requireTool } from "../helpers/requirements.js";

const BROWSER_ACCEPT =
  "text/html,application/xhtml+xml,application/xml;q=0.9,image/avif,image/webp,*/*;q=0.8";
const CALLBACK = "/login/bitbucket/callback?code=abc&state=xyz";
const PATH_ONLY = 'option "startPath" must be a path of this app, such as "/" (not "//host" or a URL).';
const HOSTILE = `<img src=x onerror=alert(1)> & "quoted" 'single'`;

let h: Harness | undefined;
afterEach(async () => {
  await h?.close();
  h = undefined;
});

const start = (router = {}) =>
  startHarness({
    router,
    beforeRouter: (app) =>
      app.get("/hostile", (_req, _res, next) => next(new BitbucketAuthError("ACCESS_DENIED", HOSTILE))),
  });

describe("a browser gets a page", () => {
  it("with the status, the code, the message and a link back, under a CSP that allows no script", async () => {
    h = await start();
    const res = await h.agent().get(CALLBACK).set("Accept", BROWSER_ACCEPT);
    expect(res.status).toBe(400);
    expect(res.headers["content-type"]).toBe("text/html; charset=utf-8");
    expect(res.headers["vary"]).toBe("Accept");
    expect(res.headers["cache-control"]).toBe("no-store");
    expect(res.headers["x-content-type-options"]).toBe("nosniff");
    expect(res.headers["content-security-policy"]).toMatch(
      /^default-src 'none'; style-src 'sha256-[A-Za-z0-9+/]{43}='; base-uri 'none'; form-action 'none'; frame-ancestors 'none'$/,
    );
    expect(res.text).toContain('<code id="code">STATE_COOKIE_MISSING</code> (HTTP 400)');
    expect(res.text).toContain(
      '<p id="message">The login state cookie is missing. Start the login again from the login route.</p>',
    );
    expect(res.text).toContain('<a id="start" href="/">Back to the start</a>');
    expect(res.text).not.toMatch(/<script|\son\w+=|javascript:|https?:\/\//i);
  });

  it("escapes the message", async () => {
    h = await start();
    const res = await h.agent().get("/hostile").set("Accept", "text/html");
    expect(res.status).toBe(403);
    expect(res.text).toContain(
      '<p id="message">&lt;img src=x onerror=alert(1)&gt; &amp; &quot;quoted&quot; &#39;single&#39;</p>',
    );
    expect(res.text).not.toContain("<img");
  });

  it("links to startPath when it is set", async () => {
    const app = express()
      .get("/fail", (_req, _res, next) => next(new BitbucketAuthError("ACCESS_DENIED")))
      .use(bitbucketErrorHandler({ startPath: "/app/?from=error" }));
    const res = await request(app).get("/fail").set("Accept", "text/html");
    expect(res.status).toBe(403);
    expect(res.text).toContain('<a id="start" href="/app/?from=error">Back to the start</a>');
  });

  it("but failureRedirect wins when set", async () => {
    h = await start({ failureRedirect: "/signed-out" });
    const res = await h.agent().get(CALLBACK).set("Accept", BROWSER_ACCEPT);
    expect(res.status).toBe(302);
    expect(res.headers.location).toBe("/signed-out?error=STATE_COOKIE_MISSING");
  });
});

describe("everything else gets JSON", () => {
  it.each([
    ["Accept: application/json", "application/json"],
    ["Accept: */* (curl)", "*/*"],
    ["JSON preferred over HTML", "application/json, text/html;q=0.5"],
    ["no Accept at all", undefined],
  ])("%s", async (_label, accept) => {
    h = await start();
    const req = h.agent().get(CALLBACK);
    const res = await (accept === undefined ? req.unset("Accept") : req.set("Accept", accept));
    expect(res.status).toBe(400);
    expect(res.headers["content-type"]).toBe("application/json; charset=utf-8");
    expect(res.headers["vary"]).toBe("Accept");
    expect(res.headers["content-security-policy"]).toBeUndefined();
    expect(res.body).toEqual({
      error: "STATE_COOKIE_MISSING",
      message: "The login state cookie is missing. Start the login again from the login route.",
    });
  });
});

describe("construction", () => {
  it.each([
    [{ startPath: "//evil.example" }, PATH_ONLY],
    [{ startPath: "https://evil.example/" }, PATH_ONLY],
    [{ startPath: "/\\evil.example" }, PATH_ONLY],
    [{ startPath: "/a b" }, PATH_ONLY],
    [{ startPath: 7 }, PATH_ONLY],
    [{ startpath: "/" }, 'unknown option "startpath". Did you mean "startPath"?'],
  ])("throws a TypeError for %j", (bad, message) => {
    expect(() => bitbucketErrorHandler(bad as never)).toThrow(
      new TypeError(`bitbucketErrorHandler: ${message}`),
    );
  });
});

if (requireTool(hasChromium, `Chromium at ${CHROMIUM}`, "apt-get install -y chromium")) {
  describe("in Chromium", () => {
    let browser: Awaited<ReturnType<typeof launchChromium>>;
    let server: Server;
    beforeAll(async () => {
      browser = await launchChromium();
    });
    afterAll(async () => {
      await browser?.close();
    });
    afterEach(async () => {
      // Chromium keeps its connections alive: they are closed with the server, not waited for.
      server?.closeAllConnections();
      await new Promise((resolve) => (server ? server.close(resolve) : resolve(undefined)));
    });

    it("shows the page styled, with no CSP violation, and its link leads back", async () => {
      h = await start();
      h.app.get("/", (_req, res) => void res.type("text").send("the start page"));
      server = h.app.listen(0, "127.0.0.1");
      await new Promise((resolve) => server.once("listening", resolve));
      const app = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
      const page = await browser.context.newPage();
      const violations: string[] = [];
      page.on("console", (m) => void (m.type() === "error" && violations.push(m.text())));
      const res = await page.goto(`${app}${CALLBACK}`);
      expect(res?.status()).toBe(400);
      expect(await page.title()).toBe("Sign-in failed (400)");
      expect(await page.textContent("#code")).toBe("STATE_COOKIE_MISSING");
      // The <style> applies: its hash is the one the CSP allows.
      expect(await page.evaluate(() => getComputedStyle(document.body).maxWidth)).toBe("576px");
      expect(violations.filter((v) => /Content Security Policy/i.test(v))).toEqual([]);
      if (process.env.SCREENSHOT === "1") await page.screenshot({ path: join(ROOT, "docs/error-page.png") });
      await page.click("#start");
      await page.waitForURL(`${app}/`);
      expect(await page.textContent("body")).toBe("the start page");
      await page.close();
    });
  });
}
