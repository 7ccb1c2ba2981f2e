import { afterAll, beforeAll, describe, expect, it } from "@jest/globals";
import { execFileSync, execSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fakeUrlFrom, freePort, ROOT, spawnUntil, startExample, type Spawned } from "../helpers/processes.js";

/**
 * Runs the README's commands literally against a spawned `npm start`, on a port the OS picked:
 * only `localhost:3000` and the fake's `127.0.0.1:4000` are replaced by the real addresses.
 */
function walkthrough(env: NodeJS.ProcessEnv = {}) {
  const ctx = {} as {
    server: Spawned;
    dir: string;
    app: string;
    fake: string;
    sh: (command: string) => string;
  };
  beforeAll(async () => {
    const port = await freePort();
    ctx.dir = mkdtempSync(join(tmpdir(), "elb-curl-"));
    ctx.server = await startExample(port, { DATABASE_PATH: join(ctx.dir, "example.sqlite"), ...env });
    const fake = fakeUrlFrom(ctx.server.output());
    ctx.app = `http://localhost:${port}`;
    ctx.fake = fake;
    ctx.sh = (command) =>
      execSync(
        command
          .replaceAll("http://localhost:3000", `http://localhost:${port}`)
          .replaceAll("http://127.0.0.1:4000", fake),
        { cwd: ctx.dir, encoding: "utf8", timeout: 20_000 },
      );
  });
  afterAll(async () => {
    await ctx.server?.stop();
    if (ctx.dir) rmSync(ctx.dir, { recursive: true, force: true });
  });
  return ctx;
}
/**
 * Every command of one section of docs/curl.md (its ```sh blocks, comments dropped), with the
 * server's real addresses: what the `npm start` banner must print.
 */
function docsCommands(section: "first" | "gated" | "datacenter", app: string, fake: string): string[] {
  const docs = readFileSync(join(ROOT, "docs/curl.md"), "utf8");
  const [first = "", rest = ""] = docs.split("## Who may sign in");
  const [, dataCenter = ""] = docs.split("## Bitbucket Data Center, with curl");
  const text =
    section === "first"
      ? first
      : (((section === "gated" ? rest : dataCenter).split("\n## ")[0] ?? "").split(
          "**A real instance.**",
        )[0] ?? "");
  return [...text.matchAll(/```sh\n([\s\S]*?)```/g)]
    .flatMap((m) => (m[1] ?? "").split("\n"))
    .map((line) => line.replace(/\s+#.*$/, "").trim())
    .filter((line) => line !== "" && !line.includes("npm start"))
    .map((line) => line.replaceAll("http://localhost:3000", app).replaceAll("http://127.0.0.1:4000", fake));
}
const bannerOf = (output: string) => output.slice(output.indexOf("Try it with curl"));

const statusOf = (out: string) => out.trim().split("\n").at(-1);
const bodyOf = (out: string) => JSON.parse(out.trim().split("\n").slice(0, -1).join("\n") || "{}");

describe("the README's curl walkthrough against `npm start`", () => {
  const w = walkthrough();
  let userId: string;

  it("logs in with the first command and prints the user with the second", () => {
    const page = w.sh("curl -sS -c jar -b jar -L http://localhost:3000/login/bitbucket");
    expect(page).toContain("Signed in as");
    const me = JSON.parse(w.sh("curl -sS -b jar http://localhost:3000/me"));
    expect(me).toMatchObject({
      userId: expect.any(String),
      displayName: "Ada Fake",
      email: "ada@fake-bitbucket.test",
    });
    // The README's sample shows this order.
    expect(Object.keys(me)).toEqual(["userId", "displayName", "avatarUrl", "email"]);
    userId = me.userId;
  });

  it("signs the returning user into the same userId", () => {
    w.sh("curl -sS -c jar2 -b jar2 -L http://localhost:3000/login/bitbucket");
    expect(JSON.parse(w.sh("curl -sS -b jar2 http://localhost:3000/me")).userId).toBe(userId);
  });

  it("logs out", () => {
    expect(
      w.sh("curl -sS -c jar -b jar -X POST http://localhost:3000/logout -o /dev/null -w '%{http_code}'"),
    ).toBe("303");
    const after = w.sh("curl -sS -b jar -w '\\n%{http_code}' http://localhost:3000/me");
    expect(statusOf(after)).toBe("401");
  });

  it("reports a deny as ACCESS_DENIED, with no new session", () => {
    w.sh(`curl -sS -X POST http://127.0.0.1:4000/_fake/decision -d deny`);
    const denied = w.sh(
      "curl -sS -c jar3 -b jar3 -L -w '\\n%{http_code}' http://localhost:3000/login/bitbucket",
    );
    expect(statusOf(denied)).toBe("403");
    expect(bodyOf(denied)).toMatchObject({ error: "ACCESS_DENIED" });
    expect(w.sh("curl -sS -b jar3 -o /dev/null -w '%{http_code}' http://localhost:3000/me")).toBe("401");
    w.sh(`curl -sS -X POST http://127.0.0.1:4000/_fake/decision -d auto`);
  });

  it("prints every command of the walkthrough in its banner", () => {
    const commands = docsCommands("first", w.app, w.fake);
    expect(commands.length).toBeGreaterThanOrEqual(8);
    for (const command of commands) expect(bannerOf(w.server.output())).toContain(command);
  });

  it("says in one line that a port is taken when a second npm start finds the fake's port in use", async () => {
    const second = await spawnUntil("npm", ["start"], {
      env: {
        PORT: String(await freePort()),
        FAKE_BITBUCKET_PORT: new URL(w.fake).port,
        NODE_ENV: "development",
        DATABASE_PATH: join(w.dir, "second.sqlite"),
      },
      ready: /already in use/,
    });
    // It exits by itself; stop() is only a bound, should it not.
    const { child } = second;
    const code =
      child.exitCode ??
      (await new Promise<number | null>((resolve) => child.once("exit", (c) => resolve(c))));
    expect(code).toBe(1);
    const output = second.output();
    expect(output).toContain(
      `example server: FAKE_BITBUCKET_PORT ${new URL(w.fake).port} is already in use (another npm start?). ` +
        "Stop it, or choose another port: PORT=3001 FAKE_BITBUCKET_PORT=4001 npm start",
    );
    expect(output).not.toMatch(/\n\s+at |EADDRINUSE/);
  });

  it("shuts down cleanly on SIGTERM", async () => {
    expect([0, "SIGTERM"]).toContain(await w.server.stop());
    expect(w.server.output()).toContain("SIGTERM: shutting down");
    expect(w.server.output()).not.toMatch(/Error|at .*:\d+:\d+/);
  });
});

describe("the README's 'who may sign in' walkthrough: BITBUCKET_WORKSPACES=fake-team", () => {
  const w = walkthrough({ BITBUCKET_WORKSPACES: "fake-team", BITBUCKET_RECHECK_SECONDS: "0" });

  it("prints the gate's walkthrough in its banner", () => {
    const commands = docsCommands("gated", w.app, w.fake);
    expect(commands.length).toBeGreaterThanOrEqual(8);
    for (const command of commands) expect(bannerOf(w.server.output())).toContain(command);
  });

  it("signs a member in", () => {
    expect(w.sh("curl -sS -c jar -b jar -L http://localhost:3000/login/bitbucket")).toContain("Signed in as");
    expect(JSON.parse(w.sh("curl -sS -b jar http://localhost:3000/me"))).toMatchObject({
      displayName: "Ada Fake",
    });
  });

  it("refuses a non-member with ACCESS_NOT_ALLOWED", () => {
    expect(JSON.parse(w.sh("curl -sS -X POST http://127.0.0.1:4000/_fake/user -d eve"))).toEqual({
      user: "eve",
    });
    const refused = w.sh(
      "curl -sS -c jar4 -b jar4 -L -w '\\n%{http_code}' http://localhost:3000/login/bitbucket",
    );
    expect(statusOf(refused)).toBe("403");
    expect(bodyOf(refused)).toEqual({
      error: "ACCESS_NOT_ALLOWED",
      message: "Not allowed to sign in: not a member of the workspace 'fake-team'.",
    });
    expect(w.sh("curl -sS -b jar4 -o /dev/null -w '%{http_code}' http://localhost:3000/me")).toBe("401");
    w.sh("curl -sS -X POST http://127.0.0.1:4000/_fake/user -d ada");
  });

  it("ends a removed member's sessions at the next re-check", () => {
    w.sh("curl -sS -X DELETE http://127.0.0.1:4000/_fake/users/ada/workspaces/fake-team");
    const removed = w.sh("curl -sS -b jar -w '\\n%{http_code}' http://localhost:3000/me");
    expect(statusOf(removed)).toBe("401");
    expect(bodyOf(removed)).toMatchObject({ error: "ACCESS_REVOKED" });
    const after = w.sh("curl -sS -b jar -w '\\n%{http_code}' http://localhost:3000/me");
    expect(statusOf(after)).toBe("401");
    expect(bodyOf(after)).toMatchObject({ error: "UNAUTHENTICATED" });
  });
});

describe("the README's Data Center walkthrough: BITBUCKET_EDITION=datacenter BITBUCKET_PROJECTS=ENG", () => {
  const w = walkthrough({
    BITBUCKET_EDITION: "datacenter",
    BITBUCKET_PROJECTS: "ENG",
    BITBUCKET_RECHECK_SECONDS: "0",
  });

  it("prints the Data Center walkthrough in its banner", () => {
    expect(w.server.output()).toMatch(/fake Bitbucket Data Center at http:\/\/127\.0\.0\.1:\d+\/bitbucket/);
    const commands = docsCommands("datacenter", w.app, w.fake);
    expect(commands.length).toBeGreaterThanOrEqual(9);
    for (const command of commands) expect(bannerOf(w.server.output())).toContain(command);
  });

  it("signs Ada in, and after a rename signs her in again as the same user", () => {
    expect(w.sh("curl -sS -c jar -b jar -L http://localhost:3000/login/bitbucket")).toContain("Signed in as");
    const me = JSON.parse(w.sh("curl -sS -b jar http://localhost:3000/me"));
    expect(me).toMatchObject({ displayName: "Ada Lovelace" });
    w.sh("curl -sS -X POST http://127.0.0.1:4000/_fake/users/101/rename -d 'name=ada.l&slug=ada.l'");
    w.sh("curl -sS -X POST http://127.0.0.1:4000/_fake/user -d ada.l");
    const again = w.sh(
      "curl -sS -c jar2 -b jar2 -L http://localhost:3000/login/bitbucket && curl -sS -b jar2 http://localhost:3000/me",
    );
    expect(JSON.parse(again.slice(again.lastIndexOf("{")))).toMatchObject({ userId: me.userId });
  });

  it("refuses eve, who holds no permission on ENG, and writes nothing", () => {
    w.sh("curl -sS -X POST http://127.0.0.1:4000/_fake/user -d eve");
    const refused = w.sh(
      "curl -sS -c jar3 -b jar3 -L -w '\\n%{http_code}' http://localhost:3000/login/bitbucket",
    );
    expect(statusOf(refused)).toBe("403");
    expect(bodyOf(refused)).toEqual({
      error: "ACCESS_NOT_ALLOWED",
      message: "Not allowed to sign in: no read permission on the projects ENG.",
    });
    w.sh("curl -sS -X POST http://127.0.0.1:4000/_fake/user -d ada.l");
  });

  it("ends Ada's sessions at the next re-check once her permission on ENG is removed", () => {
    w.sh("curl -sS -X DELETE http://127.0.0.1:4000/_fake/users/ada.l/permissions/ENG");
    const removed = w.sh("curl -sS -b jar -w '\\n%{http_code}' http://localhost:3000/me");
    expect(statusOf(removed)).toBe("401");
    expect(bodyOf(removed)).toMatchObject({ error: "ACCESS_REVOKED" });
  });
});

describe("the example server's configuration", () => {
  const refusal = (env: NodeJS.ProcessEnv) => {
    let failure: { status?: number; stderr?: string } = {};
    try {
      execFileSync("npm", ["start"], {
        cwd: ROOT,
        env: {
          ...process.env,
          NODE_OPTIONS: "",
          NODE_ENV: "development",
          PORT: "0",
          BITBUCKET_CLIENT_ID: "",
          BITBUCKET_CLIENT_SECRET: "",
          ...env,
        },
        stdio: "pipe",
        encoding: "utf8",
        timeout: 30_000,
      });
    } catch (err) {
      failure = err as typeof failure;
    }
    expect(failure.status).toBe(1);
    expect(failure.stderr).not.toMatch(/\n\s+at /);
    return failure.stderr ?? "";
  };

  it("refuses to start in production without COOKIE_SECRET, saying why", () => {
    expect(refusal({ NODE_ENV: "production", COOKIE_SECRET: "" })).toContain(
      "COOKIE_SECRET is required when NODE_ENV=production",
    );
  });

  it("refuses to start in production without both Bitbucket credentials: the fake never runs there", () => {
    expect(refusal({ NODE_ENV: "production", COOKIE_SECRET: "s".repeat(32) })).toContain(
      "BITBUCKET_CLIENT_ID and BITBUCKET_CLIENT_SECRET are required when NODE_ENV=production",
    );
  });

  it.each(["Production", "PRODUCTION", "prod", "staging"])(
    "takes NODE_ENV=%s for production too: no fake, no random secrets",
    (NODE_ENV) => {
      expect(refusal({ NODE_ENV, COOKIE_SECRET: "s".repeat(32) })).toContain(
        "BITBUCKET_CLIENT_ID and BITBUCKET_CLIENT_SECRET are required when NODE_ENV=production",
      );
    },
  );

  it("refuses to start in production without TOKEN_KEY, which seals the stored tokens", () => {
    expect(
      refusal({
        NODE_ENV: "production",
        COOKIE_SECRET: "s".repeat(32),
        BITBUCKET_CLIENT_ID: "id",
        BITBUCKET_CLIENT_SECRET: "secret",
      }),
    ).toContain("TOKEN_KEY is required when NODE_ENV=production");
  });

  it.each([
    [{ BITBUCKET_CLIENT_ID: "id" }, "BITBUCKET_CLIENT_SECRET is missing"],
    [{ BITBUCKET_CLIENT_SECRET: "secret" }, "BITBUCKET_CLIENT_ID is missing"],
  ])("refuses half a pair of credentials in any mode %j", (env, message) => {
    expect(refusal(env)).toContain(message);
    expect(refusal({ ...env, NODE_ENV: "production", COOKIE_SECRET: "s".repeat(32) })).toContain(message);
  });

  it.each([
    [{ BITBUCKET_EDITION: "server" }, 'BITBUCKET_EDITION must be "cloud" or "datacenter"'],
    [{ BITBUCKET_SERVER_URL: "https://git.example.com" }, "BITBUCKET_SERVER_URL needs BITBUCKET_CLIENT_ID"],
    [
      { BITBUCKET_EDITION: "datacenter", BITBUCKET_WORKSPACES: "acme" },
      "BITBUCKET_WORKSPACES is for Bitbucket Cloud",
    ],
    [{ BITBUCKET_PROJECTS: "ENG" }, "BITBUCKET_PROJECTS is for Bitbucket Data Center"],
    [{ BITBUCKET_PERMISSION: "write" }, "BITBUCKET_PERMISSION is for Bitbucket Data Center"],
  ])("refuses the settings of the other edition, or a half Data Center setup: %j", (env, message) => {
    expect(refusal(env)).toContain(message);
  });
});
