import { afterAll, beforeAll, describe, expect, it } from "@jest/globals";
import { cpSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { ROOT } from "../helpers/processes.js";
import { installTarball, packTarball, run } from "../helpers/tarball.js";

let work: string;
let tarball: string;

function consumer(name: string): string {
  const dir = join(work, name);
  cpSync(join(ROOT, "test/fixtures", name), dir, { recursive: true });
  writeFileSync(join(dir, "package.json"), JSON.stringify({ name, private: true, type: "module" }));
  installTarball(dir, tarball);
  return dir;
}

beforeAll(() => void ({ work, tarball } = packTarball()), 120_000);
afterAll(() => rmSync(work, { recursive: true, force: true }));

describe("the packed tarball", () => {
  it("ships dist with types and no sources or tests", () => {
    const files = run("tar", ["-tzf", tarball], work).split("\n");
    expect(files).toContain("package/dist/index.d.ts");
    expect(files).toContain("package/dist/testing/index.d.ts");
    expect(files).toContain("package/dist/testing/cli.js");
    // `npx express-lucia-bitbucket init` and `npx fake-bitbucket`, each a built file of the tarball.
    const { bin } = JSON.parse(readFileSync(join(ROOT, "package.json"), "utf8")) as {
      bin: Record<string, string>;
    };
    expect(bin).toEqual({
      "express-lucia-bitbucket": "./dist/scaffold/cli.js",
      "fake-bitbucket": "./dist/testing/cli.js",
    });
    for (const path of Object.values(bin)) expect(files).toContain(`package/${path.slice(2)}`);
    for (const file of ["LICENSE", "CHANGELOG.md", "README.md", "docs/signed-in.png"])
      expect(files).toContain(`package/${file}`);
    expect(files.filter((f) => /^package\/(src|test|bench|example-server)\//.test(f))).toEqual([]);
    // The own-app project whole, as the README shows it, and nothing built or installed in it.
    for (const file of [
      "package.json",
      "tsconfig.json",
      "src/lucia.ts",
      "src/app.ts",
      "src/server.ts",
      "test/login.ts",
      "test/app.jest.test.ts",
      "test/app.node.test.ts",
    ])
      expect(files).toContain(`package/examples/own-app/${file}`);
    expect(
      files.filter((f) => /^package\/examples\/own-app\/(dist|node_modules)\/|\.sqlite$/.test(f)),
    ).toEqual([]);
    // Source maps would point at ../src, which the tarball does not ship: none are shipped.
    expect(files.filter((f) => f.endsWith(".map"))).toEqual([]);
  });

  it("type-checks and logs in from a TypeScript project (module NodeNext)", () => {
    const dir = consumer("consumer-ts");
    run(process.execPath, [join(ROOT, "node_modules/typescript/bin/tsc"), "-p", "tsconfig.json"], dir);
    const out = JSON.parse(run(process.execPath, ["dist/app.js"], dir));
    expect(out).toEqual({ status: 302, user: "Ada Fake", isError: true });
  }, 120_000);

  it("imports both entry points from a plain ESM JavaScript project", () => {
    const out = JSON.parse(run(process.execPath, ["app.mjs"], consumer("consumer-js")));
    expect(out.exports).toEqual(
      expect.arrayContaining([
        "bitbucketRouter",
        "BitbucketAuthError",
        "ERROR_STATUS",
        "refreshBitbucketTokens",
        "bitbucketErrorHandler",
      ]),
    );
    expect(out.testing).toEqual(
      expect.arrayContaining(["startFakeBitbucket", "routeBitbucketTo", "rewriteBitbucketRedirects"]),
    );
    expect(out).toMatchObject({ authorize: 302, code: true, refreshed: "REFRESH_TOKEN_INVALID" });
  }, 120_000);

  it("passes publint and Are the Types Wrong (ESM-only profile)", () => {
    const publint = run(
      process.execPath,
      // The tarball itself: exactly what ships, and no scratch package under .tmp is read.
      [join(ROOT, "node_modules/publint/src/cli.js"), "run", "--strict", tarball],
      ROOT,
    );
    expect(publint).toContain("All good");
    // attw exits non-zero on any problem outside the ignored CommonJS resolutions, which throws here.
    const attw = run(
      join(ROOT, "node_modules/.bin/attw"),
      [tarball, "--profile", "esm-only", "--format", "table-flipped"],
      ROOT,
    );
    expect(attw).toContain("node16 (from ESM)");
    expect(attw).not.toContain("❌");
  }, 120_000);
});
