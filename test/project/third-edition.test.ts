// The seam's promise, tried: a third edition is one folder, one line in `editions/select.ts` and
// one in `index.ts`. A copy of src/ gets the made-up edition of test/fixtures/third-edition and those
// lines, and nothing else; an app of that edition then compiles under tsc (its hooks typed by its
// user) and runs: its router sends the browser to its own authorization URL.
import { afterAll, beforeAll, describe, expect, it } from "@jest/globals";
import { cpSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { ROOT } from "../helpers/processes.js";
import { run } from "../helpers/tarball.js";

let work: string;

/** Replaces `anchor` in a copied file, failing when the file no longer has it. */
function edit(file: string, anchor: string, replacement: string) {
  const text = readFileSync(file, "utf8");
  if (!text.includes(anchor)) throw new Error(`${file} no longer has ${JSON.stringify(anchor)}`);
  writeFileSync(file, text.replace(anchor, replacement));
}

/** The lines of `after` that are not in `before`, and the count of lines gone. */
function changed(before: string, after: string) {
  const old = new Set(before.split("\n"));
  const added = after.split("\n").filter((line) => !old.has(line));
  return { added, removed: before.split("\n").length + added.length - after.split("\n").length };
}

beforeAll(() => {
  mkdirSync(join(ROOT, ".tmp"), { recursive: true });
  work = mkdtempSync(join(ROOT, ".tmp", "third-edition-"));
  for (const dir of ["src", "types"]) cpSync(join(ROOT, dir), join(work, dir), { recursive: true });
  const fixture = join(ROOT, "test/fixtures/third-edition");
  cpSync(join(fixture, "gitea"), join(work, "src/editions/gitea"), { recursive: true });
  cpSync(join(fixture, "consumer.ts"), join(work, "consumer.ts"));
  // The line in select.ts (the import is its other half), and the one in index.ts.
  edit(
    join(work, "src/editions/select.ts"),
    "const EDITIONS = { datacenter, cloud } as const;",
    'import { gitea } from "./gitea/gitea.js";\nconst EDITIONS = { gitea, datacenter, cloud } as const;',
  );
  edit(
    join(work, "src/index.ts"),
    'export { bitbucketRouter } from "./router.js";',
    'export { bitbucketRouter } from "./router.js";\nexport type { GiteaAccess, GiteaAllow, GiteaUser } from "./editions/gitea/types.js";',
  );
  writeFileSync(
    join(work, "tsconfig.json"),
    JSON.stringify({
      extends: join(ROOT, "tsconfig.build.json"),
      compilerOptions: { rootDir: ".", outDir: "dist", declaration: false },
      include: ["src", "types", "consumer.ts"],
      // The repository's own excludes name .tmp, where this copy lives.
      exclude: ["dist"],
    }),
  );
}, 60_000);
afterAll(() => rmSync(work, { recursive: true, force: true }));

describe("a third edition", () => {
  it("touches only its folder, the entry in select.ts and the export in index.ts", () => {
    const file = (root: string, path: string) => readFileSync(join(root, "src", path), "utf8");
    expect(changed(file(ROOT, "editions/select.ts"), file(work, "editions/select.ts"))).toEqual({
      added: [
        'import { gitea } from "./gitea/gitea.js";',
        "const EDITIONS = { gitea, datacenter, cloud } as const;",
      ],
      removed: 1,
    });
    expect(changed(file(ROOT, "index.ts"), file(work, "index.ts"))).toEqual({
      added: ['export type { GiteaAccess, GiteaAllow, GiteaUser } from "./editions/gitea/types.js";'],
      removed: 0,
    });
  });

  it("compiles an app of it, with its user in the hooks and its access from the check", () => {
    // tsc exits non-zero on any type error, an unused @ts-expect-error included.
    expect(() => run(join(ROOT, "node_modules/.bin/tsc"), ["-p", "tsconfig.json"], work)).not.toThrow();
  }, 120_000);

  it("runs it: the router starts its login, and a key or rule of another edition is refused", () => {
    const printed = JSON.parse(run("node", ["dist/consumer.js"], work, 30_000)) as {
      status: number;
      location: string;
      grant: string;
      refusals: string[];
    };
    expect(printed.status).toBe(302);
    const location = new URL(printed.location);
    expect(location.origin + location.pathname).toBe("https://git.example.com/login/oauth/authorize");
    expect(location.searchParams.get("client_id")).toBe("id");
    expect(printed.grant).toBe("gitea@https://git.example.com");
    expect(printed.refusals).toEqual([
      'bitbucketGrant: option "serverUrl" is for Bitbucket Data Center.',
      expect.stringMatching(/^bitbucketAccessGuard: option "allow\.workspaces" is for Bitbucket Cloud/),
    ]);
  });
});
