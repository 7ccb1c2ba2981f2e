// `npx express-lucia-bitbucket init`: the built command, run in a folder of the test's, writes the
// own-app project of examples/own-app into an npm project, and changes nothing that differs unless
// told to. (The tarball-installed command is followed literally by test/run/readme-literal.mjs and
// used by test/e2e/own-app.test.ts.)
import { afterEach, beforeEach, describe, expect, it } from "@jest/globals";
import { spawnSync } from "node:child_process";
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { ROOT } from "../helpers/processes.js";

const CLI = join(ROOT, "dist/scaffold/cli.js");
const TEMPLATE = join(ROOT, "examples/own-app");
const FILES = [
  "tsconfig.json",
  "src/app.ts",
  "src/lucia.ts",
  "src/server.ts",
  "test/app.jest.test.ts",
  "test/app.node.test.ts",
  "test/login.ts",
];
const template = JSON.parse(readFileSync(join(TEMPLATE, "package.json"), "utf8")) as {
  scripts: Record<string, string>;
  jest: unknown;
};
/** What `npm init -y` writes with npm 11. */
const NPM_INIT = {
  name: "my-app",
  version: "1.0.0",
  main: "index.js",
  scripts: { test: 'echo "Error: no test specified" && exit 1' },
  license: "ISC",
  type: "commonjs",
};

let dir: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), "elb-init-"));
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

const init = (...args: string[]) =>
  spawnSync(process.execPath, [CLI, ...args], { cwd: dir, encoding: "utf8" });
const manifest = () => JSON.parse(readFileSync(join(dir, "package.json"), "utf8")) as Record<string, unknown>;
const writeManifest = (value: object) => writeFileSync(join(dir, "package.json"), JSON.stringify(value));

describe("express-lucia-bitbucket init", () => {
  it("writes the own app's files and scripts into a fresh `npm init -y` project", () => {
    writeManifest(NPM_INIT);
    const result = init("init");
    expect(result.status).toBe(0);
    for (const file of FILES) {
      expect(readFileSync(join(dir, file), "utf8")).toBe(readFileSync(join(TEMPLATE, file), "utf8"));
      expect(result.stdout).toContain(`wrote ${file}\n`);
    }
    // ESM only, the template's scripts (npm's placeholder test replaced) and Jest config; the rest kept.
    expect(manifest()).toEqual({
      ...NPM_INIT,
      type: "module",
      scripts: template.scripts,
      jest: template.jest,
    });
    // Nothing installed yet: it says what to install, with the template's ranges.
    expect(result.stdout).toContain("still to install:\n  npm install ");
    expect(result.stdout).toContain("'lucia@^2.");
    expect(result.stdout).toContain("npm install -D ");
    expect(result.stdout).toContain("'typescript@~5.");
  });

  it("writes into a folder it is given, and is quiet about dependencies already listed", () => {
    const target = join(dir, "my-app");
    mkdirSync(target);
    const own = JSON.parse(readFileSync(join(TEMPLATE, "package.json"), "utf8")) as Record<string, unknown>;
    writeFileSync(
      join(target, "package.json"),
      JSON.stringify({
        name: "my-app",
        dependencies: own.dependencies,
        devDependencies: own.devDependencies,
      }),
    );
    const result = init("init", "my-app");
    expect(result.status).toBe(0);
    expect(existsSync(join(target, "src/server.ts"))).toBe(true);
    expect(existsSync(join(dir, "src"))).toBe(false);
    expect(result.stdout).not.toContain("still to install");
  });

  it("runs again over its own files without complaint", () => {
    writeManifest(NPM_INIT);
    expect(init("init").status).toBe(0);
    const again = init("init");
    expect(again.status).toBe(0);
    expect(again.stderr).toBe("");
  });

  it("changes nothing when a file or script differs, and names each one", () => {
    writeManifest({ ...NPM_INIT, scripts: { build: "vite build" } });
    mkdirSync(join(dir, "src"));
    writeFileSync(join(dir, "src/app.ts"), "// mine\n");
    const result = init("init");
    expect(result.status).toBe(1);
    expect(result.stderr).toContain("nothing was written");
    expect(result.stderr).toContain("  src/app.ts\n");
    expect(result.stderr).toContain("  package.json scripts.build\n");
    expect(result.stderr).toContain("--force");
    expect(readFileSync(join(dir, "src/app.ts"), "utf8")).toBe("// mine\n");
    expect(existsSync(join(dir, "src/lucia.ts"))).toBe(false);
    expect(manifest().scripts).toEqual({ build: "vite build" });
  });

  it("overwrites them with --force", () => {
    writeManifest({ ...NPM_INIT, scripts: { build: "vite build" }, jest: { testMatch: ["x"] } });
    mkdirSync(join(dir, "src"));
    writeFileSync(join(dir, "src/app.ts"), "// mine\n");
    expect(init("init").stderr).toContain("  package.json jest\n");
    expect(init("init", "--force").status).toBe(0);
    expect(readFileSync(join(dir, "src/app.ts"), "utf8")).toBe(
      readFileSync(join(TEMPLATE, "src/app.ts"), "utf8"),
    );
    expect(manifest()).toMatchObject({ scripts: template.scripts, jest: template.jest });
  });

  it("creates package.json when there is none, named after the folder", () => {
    const result = init("init");
    expect(result.status).toBe(0);
    expect(manifest()).toMatchObject({ type: "module", scripts: template.scripts });
    expect(typeof manifest().name).toBe("string");
  });

  it("refuses an unknown command with its usage and exit code 2, and prints usage for --help", () => {
    const wrong = init("create");
    expect(wrong.status).toBe(2);
    expect(wrong.stderr).toContain('unknown command "create"');
    expect(wrong.stderr).toContain("Usage: express-lucia-bitbucket init [folder] [--force]");
    expect(existsSync(join(dir, "package.json"))).toBe(false);
    const help = init("--help");
    expect(help.status).toBe(0);
    expect(help.stdout).toContain("Usage: express-lucia-bitbucket init");
  });
});
