import { describe, expect, it } from "@jest/globals";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { ERROR_STATUS } from "../src/index.js";
import { ROOT } from "./helpers/processes.js";

const readme = readFileSync(join(ROOT, "README.md"), "utf8");

describe("the README stays in step with the code", () => {
  it("lists every error code with its status, and no other", () => {
    const rows = [...readme.matchAll(/^\| `([A-Z_]+)` \| (\d{3}) \|/gm)].map((m) => [m[1], Number(m[2])]);
    expect(Object.fromEntries(rows)).toEqual(ERROR_STATUS);
  });

  it("documents every option with its default", async () => {
    const source = readFileSync(join(ROOT, "src/resolve-options.ts"), "utf8");
    const known =
      /const KNOWN = \[([\s\S]*?)\]/
        .exec(source)?.[1]
        ?.match(/"(\w+)"/g)
        ?.map((s) => s.slice(1, -1)) ?? [];
    expect(known.length).toBeGreaterThan(10);
    for (const option of known) expect(readme).toMatch(new RegExp(`^\\| \`${option}\` \\| [^|]+ \\|`, "m"));
  });

  it("keeps the two commands of the quick start", () => {
    expect(readme).toContain("npm install && npm start");
    expect(readme).toMatch(/^npm test\b/m);
  });
});
