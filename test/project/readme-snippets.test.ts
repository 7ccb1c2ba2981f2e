import { afterAll, beforeAll, describe, expect, it } from "@jest/globals";
import { mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { ROOT } from "../helpers/processes.js";
import { installTarball, packTarball, run } from "../helpers/tarball.js";

/**
 * A new user's first try, from the README alone: its install line must resolve, the own app's files
 * it shows must be those of examples/own-app (which test/e2e/own-app.test.ts installs, compiles, tests
 * and logs in with), and every other TypeScript snippet must compile under `strict` against the
 * packed tarball.
 */
const readme = readFileSync(join(ROOT, "README.md"), "utf8");
// The README's snippets, then those of the docs it links to: every one must compile.
const docs = readdirSync(join(ROOT, "docs"))
  .filter((f) => f.endsWith(".md"))
  .map((f) => readFileSync(join(ROOT, "docs", f), "utf8"));
const snippetsOf = (text: string, lang = "ts") =>
  [...text.matchAll(new RegExp("```(?:" + lang + ")\\n([\\s\\S]*?)```", "g"))].map((m) => m[1] ?? "");
const snippets = [readme, ...docs].flatMap((text) => snippetsOf(text));
const installLine = /^npm install express-lucia-bitbucket .*$/m.exec(readme)?.[0] ?? "";

let work: string;
let tarball: string;
beforeAll(() => void ({ work, tarball } = packTarball()), 120_000);
afterAll(() => rmSync(work, { recursive: true, force: true }));

describe("the README's 'In your own app', as a new user follows it", () => {
  it("has an install line that resolves, with the Lucia 2 adapters", () => {
    expect(installLine).toMatch(/lucia@2 .*@lucia-auth\/oauth@3 .*@lucia-auth\/adapter-sqlite@2/);
    // The adapter's peer range is 8.x - 9.x; better-sqlite3@latest (13) needs Node 22 besides.
    expect(installLine).toMatch(/ better-sqlite3@9$/);
    const dir = join(work, "install");
    mkdirSync(dir);
    writeFileSync(
      join(dir, "package.json"),
      JSON.stringify({ name: "first-try", private: true, type: "module" }),
    );
    // The line as written (the package itself from the tarball); a dry run resolves the whole tree,
    // peers included, and fails with ERESOLVE as the user's would.
    const args = installLine
      .replace(/^npm install /, "")
      .split(/\s+/)
      .map((a) => (a === "express-lucia-bitbucket" ? tarball : a));
    const out = run(
      "npm",
      ["install", "--dry-run", "--prefer-offline", "--no-audit", "--no-fund", ...args],
      dir,
    );
    expect(out).not.toMatch(/ERESOLVE/);
    expect(out).toMatch(/add lucia 2\./);
    expect(out).toMatch(/add @lucia-auth\/adapter-sqlite 2\./);
  }, 180_000);

  it("shows examples/own-app's src/lucia.ts and src/app.ts as they are (init writes the rest)", () => {
    for (const file of ["src/lucia.ts", "src/app.ts"]) {
      const text = readFileSync(join(ROOT, "examples/own-app", file), "utf8");
      expect(snippetsOf(readme)).toContain(text);
    }
  });

  it("compiles every other snippet under strict, beside the own app's lucia.ts", () => {
    const dir = join(work, "app");
    mkdirSync(dir);
    writeFileSync(
      join(dir, "package.json"),
      JSON.stringify({ name: "readme-app", private: true, type: "module" }),
    );
    installTarball(dir, tarball);
    // The snippets import from ./lucia.js what the own app's exports, and nothing more.
    const ownApp = ["src/lucia.ts", "src/app.ts"].map((f) =>
      readFileSync(join(ROOT, "examples/own-app", f), "utf8"),
    );
    writeFileSync(join(dir, "lucia.ts"), ownApp[0] ?? "");
    snippets
      .filter((s) => !ownApp.includes(s))
      .forEach((s, i) => writeFileSync(join(dir, `snippet-${i + 1}.ts`), s));
    // The snippets' token store, as a user's tests would have it.
    writeFileSync(
      join(dir, "tokens.ts"),
      `import { memoryTokenStore } from "express-lucia-bitbucket";
export const tokens = memoryTokenStore();
`,
    );
    writeFileSync(
      join(dir, "tsconfig.json"),
      JSON.stringify({
        compilerOptions: {
          target: "ES2022",
          module: "NodeNext",
          moduleResolution: "NodeNext",
          strict: true,
          noUncheckedIndexedAccess: true,
          skipLibCheck: true,
          types: ["node"],
          outDir: "dist",
        },
        include: ["*.ts"],
      }),
    );
    let compiled = "";
    try {
      compiled = run(
        process.execPath,
        [join(ROOT, "node_modules/typescript/bin/tsc"), "-p", "tsconfig.json"],
        dir,
      );
    } catch (err) {
      compiled = String((err as { stdout?: string }).stdout ?? err);
    }
    expect(compiled).toBe("");
  }, 180_000);
});
