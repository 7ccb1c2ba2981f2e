// The layout of src/ as a rule that can fail: each folder is a floor, and a file imports only from
// its own floor's folder or from floors below it. This is what keeps the import graph free of
// cycles, and what lets a new edition be one folder (docs/development.md, "The layout").
import { describe, expect, it } from "@jest/globals";
import { readdirSync, readFileSync, statSync } from "node:fs";
import { dirname, join, normalize, relative } from "node:path";
import { fileURLToPath } from "node:url";

const SRC = join(dirname(fileURLToPath(import.meta.url)), "..", "..", "src");

/** Top floor first. Folders on one floor do not import each other. */
const FLOORS: readonly (readonly string[])[] = [
  ["."], // index.ts (re-exports) and router.ts (composes)
  ["routes", "forward-auth"],
  ["lucia", "state", "recheck"],
  ["config"],
  ["tokens"],
  ["editions"],
  ["http"],
  ["errors"],
  ["util"],
];
/** The fakes and the `init` scaffold ship beside the package and import none of it, so they run alone. */
const APART = ["testing", "scaffold"];

function files(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    return statSync(path).isDirectory() ? files(path) : path.endsWith(".ts") ? [path] : [];
  });
}

const folderOf = (file: string) => {
  const rel = relative(SRC, file);
  return rel.includes("/") ? rel.split("/")[0]! : ".";
};
const floorOf = (folder: string) => FLOORS.findIndex((floor) => floor.includes(folder));

const imports = files(SRC).flatMap((file) =>
  [...readFileSync(file, "utf8").matchAll(/from\s+"(\.{1,2}\/[^"]+)"/g)].map((m) => ({
    file: relative(SRC, file),
    from: folderOf(file),
    to: folderOf(normalize(join(dirname(file), m[1]!))),
  })),
);

describe("the layout of src/", () => {
  it("places every folder on a floor or apart", () => {
    const folders = new Set(files(SRC).map(folderOf));
    const placed = [...folders].filter((f) => floorOf(f) === -1 && !APART.includes(f));
    expect(placed).toEqual([]);
  });

  it("has each file import only from its own folder or a floor below", () => {
    const upward = imports
      .filter(({ from, to }) => from !== to)
      .filter(({ from, to }) =>
        APART.includes(from) || APART.includes(to) ? true : floorOf(to) <= floorOf(from),
      )
      .map(({ file, to }) => `${file} imports ${to}/`);
    expect(upward).toEqual([]);
  });

  it("keeps each edition's folder to itself: no edition imports another's", () => {
    const editionOf = (path: string) => /^editions\/([^/]+)\//.exec(path)?.[1] ?? null;
    const across = files(SRC).flatMap((file) => {
      const from = editionOf(relative(SRC, file));
      if (from === null) return [];
      return [...readFileSync(file, "utf8").matchAll(/from\s+"(\.{1,2}\/[^"]+)"/g)]
        .map((m) => editionOf(relative(SRC, normalize(join(dirname(file), m[1]!)))))
        .filter((to) => to !== null && to !== from)
        .map((to) => `${relative(SRC, file)} imports editions/${to}/`);
    });
    expect(across).toEqual([]);
  });

  it("reads the imports it judges (the rule is not vacuous)", () => {
    expect(imports.filter(({ from, to }) => from === "routes" && to === "state").length).toBeGreaterThan(0);
    expect(imports.length).toBeGreaterThan(100);
  });

  it("has no `as unknown as` cast: the seam's types hold without one", () => {
    const casts = files(SRC).filter((file) => readFileSync(file, "utf8").includes("as unknown as"));
    expect(casts.map((file) => relative(SRC, file))).toEqual([]);
  });
});
