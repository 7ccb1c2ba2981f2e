import { afterAll, beforeAll, describe, expect, it } from "@jest/globals";
import { execFileSync } from "node:child_process";
import { mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { freePort, ROOT } from "./helpers/processes.js";
import { installTarball, packTarball, run } from "./helpers/tarball.js";

/**
 * A new user's first try, from the README alone: its install line must resolve, and its `lucia.ts`,
 * its app and every other TypeScript snippet must compile under `strict` against the packed tarball.
 * Then the app runs, and a login through the shipped fake ends signed in.
 */
const readme = readFileSync(join(ROOT, "README.md"), "utf8");
// The README's snippets, then those of the docs it links to: every one must compile.
const docs = readdirSync(join(ROOT, "docs"))
  .filter((f) => f.endsWith(".md"))
  .map((f) => readFileSync(join(ROOT, "docs", f), "utf8"));
const snippets = [readme, ...docs].flatMap((text) =>
  [...text.matchAll(/```ts\n([\s\S]*?)```/g)].map((m) => m[1] ?? ""),
);
const installLine = /^npm install express-lucia-bitbucket .*$/m.exec(readme)?.[0] ?? "";

let work: string;
let tarball: string;
beforeAll(() => void ({ work, tarball } = packTarball()), 120_000);
afterAll(() => rmSync(work, { recursive: true, force: true }));

describe("the README's 'In your own app', as a new user follows it", () => {
  it("has an install line that resolves, with the Lucia 2 adapters", () => {
    expect(installLine).toMatch(/lucia@2 .*@lucia-auth\/oauth@3 .*@lucia-auth\/adapter-sqlite@2/);
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

  it("compiles lucia.ts, the app and every snippet under strict, and the app logs in", async () => {
    const dir = join(work, "app");
    mkdirSync(dir);
    writeFileSync(
      join(dir, "package.json"),
      JSON.stringify({ name: "readme-app", private: true, type: "module" }),
    );
    installTarball(dir, tarball);
    const luciaTs = snippets.find((s) => s.includes("export const auth = lucia("));
    const appTs = snippets.find((s) => s.includes("app.listen("));
    expect(luciaTs).toBeDefined();
    expect(appTs).toBeDefined();
    writeFileSync(join(dir, "lucia.ts"), luciaTs ?? "");
    writeFileSync(join(dir, "app.ts"), appTs ?? "");
    snippets
      .filter((s) => s !== luciaTs && s !== appTs)
      .forEach((s, i) => writeFileSync(join(dir, `snippet-${i + 1}.ts`), s));
    // The snippets' token store, as a user's tests would have it.
    writeFileSync(
      join(dir, "tokens.ts"),
      `import { memoryTokenStore } from "express-lucia-bitbucket";
export const tokens = memoryTokenStore();
`,
    );
    writeFileSync(
      join(dir, "run.ts"),
      `import { routeBitbucketTo, startFakeBitbucket } from "express-lucia-bitbucket/testing";
const fake = await startFakeBitbucket();
routeBitbucketTo(fake.url);
const { auth } = await import("./lucia.js");
await import("./app.js");
const base = \`http://127.0.0.1:\${process.env.PORT}\`;
const start = await fetch(\`\${base}/login/bitbucket\`, { redirect: "manual" });
const cookie = (start.headers.get("set-cookie") ?? "").split(";")[0] ?? "";
const authorize = (start.headers.get("location") ?? "").replace("https://bitbucket.org", fake.url);
const back = new URL((await fetch(authorize, { redirect: "manual" })).headers.get("location") ?? "");
const done = await fetch(\`\${base}\${back.pathname}\${back.search}\`, { redirect: "manual", headers: { cookie } });
const sessionId = /auth_session=([^;]+)/.exec(done.headers.get("set-cookie") ?? "")?.[1] ?? "";
const session = await auth.validateSession(sessionId);
console.log(JSON.stringify({ status: done.status, location: done.headers.get("location"), signedIn: session.user.userId.length > 0 }));
process.exit(0);
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
    const port = await freePort();
    const out = execFileSync(process.execPath, ["dist/run.js"], {
      cwd: dir,
      encoding: "utf8",
      timeout: 60_000,
      env: {
        ...process.env,
        NODE_OPTIONS: "",
        PORT: String(port),
        COOKIE_SECRET: "readme-cookie-secret",
        BITBUCKET_CLIENT_ID: "fake-client-id",
        BITBUCKET_CLIENT_SECRET: "fake-client-secret",
      },
    });
    expect(JSON.parse(out)).toEqual({ status: 302, location: "/", signedIn: true });
  }, 180_000);
});
