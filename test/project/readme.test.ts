import { KNOWN } from "../../src/config/resolve-options.js";
import { describe, expect, it } from "@jest/globals";
import { existsSync, readdirSync, readFileSync } from "node:fs";
import { dirname, join, relative } from "node:path";
import { ERROR_STATUS } from "../../src/index.js";
import { ROOT } from "../helpers/processes.js";

const readme = readFileSync(join(ROOT, "README.md"), "utf8");
const pkg = JSON.parse(readFileSync(join(ROOT, "package.json"), "utf8")) as {
  homepage: string;
  files: string[];
};
/** Where a file of the repository is read on the web: the homepage's repository, branch main. */
const REPOSITORY_FILES = `${pkg.homepage.replace(/#readme$/, "")}/blob/main/`;
/** Whether package.json's `files` (a folder, a file, or `dir/*.ext`) puts `path` in the tarball. */
const inTarball = (path: string) =>
  pkg.files.some((entry) =>
    entry.includes("*")
      ? new RegExp(`^${entry.replace(/[.]/g, "\\.").replace("*", "[^/]+")}$`).test(path)
      : path === entry || path.startsWith(`${entry}/`),
  );

describe("the README stays in step with the code", () => {
  it("lists every error code with its status, and no other, in docs/errors.md", () => {
    const errors = readFileSync(join(ROOT, "docs/errors.md"), "utf8");
    const rows = [...errors.matchAll(/^\| `([A-Z_]+)` \| (\d{3}) \|/gm)].map((m) => [m[1], Number(m[2])]);
    expect(Object.fromEntries(rows)).toEqual(ERROR_STATUS);
  });

  it("documents every option with its default", async () => {
    const known = KNOWN;
    expect(known.length).toBeGreaterThan(10);
    for (const option of known) expect(readme).toMatch(new RegExp(`^\\| \`${option}\` \\| [^|]+ \\|`, "m"));
  });

  it("links only to files that exist, and to headings that exist, from the README and docs/", () => {
    const pages = [
      "README.md",
      ...readdirSync(join(ROOT, "docs"))
        .filter((f) => f.endsWith(".md"))
        .map((f) => `docs/${f}`),
    ];
    const slug = (heading: string) =>
      heading
        .toLowerCase()
        .replace(/[^\w\s-]/g, "")
        .trim()
        .replace(/\s/g, "-");
    const broken: string[] = [];
    for (const page of pages) {
      const text = readFileSync(join(ROOT, page), "utf8");
      for (const [, target = ""] of text.matchAll(/\]\(([^)\s]+)\)/g)) {
        // A link into the repository names a file that exists in it; other absolute URLs are left be.
        if (target.startsWith(REPOSITORY_FILES)) {
          if (!existsSync(join(ROOT, target.slice(REPOSITORY_FILES.length).split("#")[0] ?? "")))
            broken.push(`${page}: ${target}`);
          continue;
        }
        if (/^[a-z]+:/.test(target)) continue;
        const [file = "", anchor] = target.split("#");
        const path = file === "" ? join(ROOT, page) : join(ROOT, dirname(page), file);
        // On npm only the tarball is there: a relative link must land in it.
        if (!inTarball(relative(ROOT, path))) broken.push(`${page}: ${target} (not in the tarball)`);
        if (!existsSync(path)) broken.push(`${page}: ${target}`);
        else if (anchor && path.endsWith(".md")) {
          const headings = [...readFileSync(path, "utf8").matchAll(/^#+ (.+)$/gm)].map((m) =>
            slug(m[1] ?? ""),
          );
          if (!headings.includes(anchor)) broken.push(`${page}: ${target}`);
        }
      }
    }
    expect(broken).toEqual([]);
  });

  it("keeps the two commands of the quick start", () => {
    expect(readme).toContain("npm install && npm start");
    expect(readme).toMatch(/^npm test\b/m);
  });

  // The user's path stays short: depth belongs in docs/ (issue 21 asked for about 300 lines).
  it("stays a README a user reads top to bottom (at most 320 lines)", () => {
    expect(readme.split("\n").length).toBeLessThanOrEqual(320);
  });
});
