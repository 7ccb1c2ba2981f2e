// examples/own-app as a new user gets it: an `npm init -y` folder, the README's install commands
// with the packed tarball, the project written by the tarball's own `express-lucia-bitbucket init`,
// compiled under `tsc --strict`, its Jest and node:test tests run, and a curl login against the
// shipped fake with BITBUCKET_FAKE=1. (test/run/readme-literal.mjs does the same from the registry.)
import { afterAll, beforeAll, describe, expect, it } from "@jest/globals";
import { execSync, spawnSync } from "node:child_process";
import { cpSync, existsSync, mkdirSync, readFileSync, rmSync } from "node:fs";
import { join } from "node:path";
import { freePort, ROOT, spawnUntil } from "../helpers/processes.js";
import { packTarball, run } from "../helpers/tarball.js";

const readme = readFileSync(join(ROOT, "README.md"), "utf8");
const PROJECT = join(ROOT, "examples/own-app");
const project = JSON.parse(readFileSync(join(PROJECT, "package.json"), "utf8")) as {
  dependencies: Record<string, string>;
  devDependencies: Record<string, string>;
};
/** The README's install commands of "Your own app", in order. */
const commands = [
  ...readme.matchAll(/^npm install (?:-D )?express-lucia-bitbucket .*$|^npm install -D .*$/gm),
].map((m) => m[0]);
const packagesOf = (command: string) =>
  command
    .replace(/^npm install (-D )?/, "")
    .split(/\s+/)
    .map((spec) => spec.replace(/(.)@[^@/]*$/, "$1"));

let work: string;
let tarball: string;
let dir: string;
beforeAll(() => {
  ({ work, tarball } = packTarball());
  dir = join(work, "own-app");
  mkdirSync(dir);
  run("npm", ["init", "-y"], dir);
}, 120_000);
afterAll(() => rmSync(work, { recursive: true, force: true }));

describe("examples/own-app, from the packed tarball", () => {
  it("is what the README's install commands install, nothing more and nothing less", () => {
    expect(commands).toHaveLength(2);
    const [runtime = "", dev = ""] = commands;
    expect(new Set(packagesOf(runtime))).toEqual(new Set(Object.keys(project.dependencies)));
    expect(new Set(packagesOf(dev))).toEqual(new Set(Object.keys(project.devDependencies)));
    // The tested TypeScript major, as the README says.
    expect(dev).toContain("typescript@5");
    expect(project.devDependencies.typescript).toMatch(/^~5\./);
  });

  it("installs with those commands, compiles under --strict, and passes its Jest and node:test tests", () => {
    // The README's commands as written, the package itself from the tarball; from the npm cache
    // when it has the packages. Install scripts are off: better-sqlite3's would download a prebuilt
    // binary from GitHub, which CI cannot reach, so the binary the repository built is copied in.
    const offline = ["--prefer-offline", "--no-audit", "--no-fund", "--ignore-scripts", "--legacy-peer-deps"];
    for (const command of commands) {
      const args = command
        .replace(/^npm install /, "")
        .split(/\s+/)
        .map((a) => (a === "express-lucia-bitbucket" ? tarball : a));
      run("npm", ["install", ...offline, ...args], dir, 300_000);
    }
    const version = (root: string) =>
      (
        JSON.parse(readFileSync(join(root, "node_modules/better-sqlite3/package.json"), "utf8")) as {
          version: string;
        }
      ).version;
    if (version(dir) === version(ROOT))
      cpSync(
        join(ROOT, "node_modules/better-sqlite3/build"),
        join(dir, "node_modules/better-sqlite3/build"),
        {
          recursive: true,
        },
      );
    else run("npm", ["rebuild", "better-sqlite3"], dir, 600_000);
    expect(existsSync(join(dir, "node_modules/typescript/package.json"))).toBe(true);
    expect(run(join(dir, "node_modules/.bin/express-lucia-bitbucket"), ["init"], dir)).toContain(
      "wrote src/server.ts\n",
    );

    expect(
      run(process.execPath, ["node_modules/typescript/bin/tsc", "-p", "tsconfig.json", "--strict"], dir),
    ).toBe("");
    const tested = execSync("npm test 2>&1", {
      cwd: dir,
      encoding: "utf8",
      env: { ...process.env, NODE_OPTIONS: "", npm_config_update_notifier: "false" },
      timeout: 180_000,
    });
    expect(tested).toMatch(/Tests:\s+2 passed, 2 total/);
    expect(tested).toMatch(/# pass 2\n# fail 0/);
  }, 900_000);

  it("stops at once without COOKIE_SECRET against the real Bitbucket, saying what to set", () => {
    const run = spawnSync(process.execPath, ["dist/src/server.js"], {
      cwd: dir,
      encoding: "utf8",
      env: { PATH: process.env.PATH, PORT: "0" },
      timeout: 20_000,
    });
    expect(run.status).toBe(1);
    expect(run.stderr).toContain("Set COOKIE_SECRET to a long random string");
  });

  it("logs in with curl against the fake, with BITBUCKET_FAKE=1", async () => {
    const port = await freePort();
    const server = await spawnUntil(process.execPath, ["dist/src/server.js"], {
      cwd: dir,
      env: {
        BITBUCKET_FAKE: "1",
        PORT: String(port),
        COOKIE_SECRET: "own-app-test-secret-0123456789abcdef",
        DATABASE_PATH: join(dir, "app.sqlite"),
      },
      ready: /listening on/,
    });
    try {
      const sh = (command: string) => execSync(command, { cwd: dir, encoding: "utf8", timeout: 20_000 });
      expect(sh(`curl -sS -c jar -b jar -L http://localhost:${port}/login/bitbucket`)).toContain(
        "Signed in as Ada Fake",
      );
      expect(JSON.parse(sh(`curl -sS -b jar http://localhost:${port}/me`))).toEqual({
        userId: expect.any(String),
        displayName: "Ada Fake",
        email: "ada@fake-bitbucket.test",
      });
    } finally {
      await server.stop();
    }
  }, 60_000);
});
