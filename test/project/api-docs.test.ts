// docs/api is generated from the JSDoc by TypeDoc (`npm run docs:api`); CI fails when it is stale.
import { afterAll, describe, expect, it } from "@jest/globals";
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync } from "node:fs";
import { join, relative } from "node:path";
import { ROOT } from "../helpers/processes.js";
import { run } from "../helpers/tarball.js";

mkdirSync(join(ROOT, ".tmp"), { recursive: true });
const out = mkdtempSync(join(ROOT, ".tmp", "api-"));
afterAll(() => rmSync(out, { recursive: true, force: true }));

/** Every file under `dir`, by its path inside it, with its text. */
function tree(dir: string): Record<string, string> {
  const files: Record<string, string> = {};
  const walk = (at: string) => {
    for (const entry of readdirSync(at, { withFileTypes: true })) {
      const path = join(at, entry.name);
      if (entry.isDirectory()) walk(path);
      else files[relative(dir, path)] = readFileSync(path, "utf8");
    }
  };
  walk(dir);
  return files;
}

describe("the API reference in docs/api", () => {
  it("is what TypeDoc makes of the sources today (run `npm run docs:api` to update it)", () => {
    run(
      process.execPath,
      [join(ROOT, "node_modules/typedoc/bin/typedoc"), "--out", out, "--logLevel", "Error"],
      ROOT,
    );
    const fresh = tree(out);
    expect(Object.keys(fresh).length).toBeGreaterThan(20);
    expect(tree(join(ROOT, "docs/api"))).toEqual(fresh);
  }, 120_000);

  it("names the types a user reaches for", () => {
    const files = Object.keys(tree(join(ROOT, "docs/api")));
    for (const name of [
      "index/interfaces/BitbucketRouterOptions.md",
      "index/functions/bitbucketErrorHandler.md",
      "index/functions/bitbucketAccessGuard.md",
      "testing/variables/DEFAULT_FAKE_CLIENT.md",
      "testing/variables/DEFAULT_FAKE_USER.md",
      "testing/variables/FAKE_OUTSIDER_USER.md",
    ])
      expect(files).toContain(name);
  });
});
