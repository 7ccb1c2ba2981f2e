import { afterAll, beforeAll, describe, expect, it } from "@jest/globals";
import { execFileSync, execSync } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fakeUrlFrom, ROOT, startExample, type Spawned } from "./helpers/processes.js";

// The README's curl walkthrough, run literally against a spawned `npm start` on port 3000.
describe("the README's curl walkthrough against `npm start`", () => {
  let server: Spawned;
  let dir: string;
  const sh = (command: string) => execSync(command, { cwd: dir, encoding: "utf8", timeout: 20_000 });

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), "elb-curl-"));
    server = await startExample(3000, { DATABASE_PATH: join(dir, "example.sqlite") });
  });
  afterAll(async () => {
    await server?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  let userId: string;

  it("logs in with the first command and prints the user with the second", () => {
    const page = sh("curl -sS -c jar -b jar -L http://localhost:3000/login/bitbucket");
    expect(page).toContain("Signed in as");
    const me = JSON.parse(sh("curl -sS -b jar http://localhost:3000/me"));
    expect(me).toMatchObject({
      userId: expect.any(String),
      displayName: "Ada Fake",
      email: "ada@fake-bitbucket.test",
    });
    userId = me.userId;
  });

  it("signs the returning user into the same userId", () => {
    sh("curl -sS -c jar2 -b jar2 -L http://localhost:3000/login/bitbucket");
    expect(JSON.parse(sh("curl -sS -b jar2 http://localhost:3000/me")).userId).toBe(userId);
  });

  it("logs out", () => {
    expect(
      sh("curl -sS -c jar -b jar -X POST http://localhost:3000/logout -o /dev/null -w '%{http_code}'"),
    ).toBe("303");
    const after = sh("curl -sS -b jar -w '\\n%{http_code}' http://localhost:3000/me");
    expect(after.trim().split("\n").at(-1)).toBe("401");
  });

  it("reports a deny as ACCESS_DENIED, with no new session", () => {
    const fake = fakeUrlFrom(server.output());
    sh(`curl -sS -X POST ${fake}/_fake/decision -d deny`);
    const denied = sh(
      "curl -sS -c jar3 -b jar3 -L -w '\\n%{http_code}' http://localhost:3000/login/bitbucket",
    );
    const [body, status] = denied.trim().split("\n");
    expect(status).toBe("403");
    expect(JSON.parse(body ?? "")).toMatchObject({ error: "ACCESS_DENIED" });
    expect(sh("curl -sS -b jar3 -o /dev/null -w '%{http_code}' http://localhost:3000/me")).toBe("401");
    sh(`curl -sS -X POST ${fake}/_fake/decision -d auto`);
  });

  it("shuts down cleanly on SIGTERM", async () => {
    expect([0, "SIGTERM"]).toContain(await server.stop());
    expect(server.output()).toContain("SIGTERM: shutting down");
    expect(server.output()).not.toMatch(/Error|at .*:\d+:\d+/);
  });
});

describe("the example server's configuration", () => {
  it("refuses to start in production without COOKIE_SECRET, saying why", () => {
    let failure: { status?: number; stderr?: string } = {};
    try {
      execFileSync("npm", ["start"], {
        cwd: ROOT,
        env: { ...process.env, NODE_OPTIONS: "", NODE_ENV: "production", COOKIE_SECRET: "", PORT: "3099" },
        stdio: "pipe",
        encoding: "utf8",
        timeout: 30_000,
      });
    } catch (err) {
      failure = err as typeof failure;
    }
    expect(failure.status).toBe(1);
    expect(failure.stderr).toContain("COOKIE_SECRET is required when NODE_ENV=production");
    expect(failure.stderr).not.toMatch(/\n\s+at /);
  });
});
