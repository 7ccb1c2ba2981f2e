import {
  copyFileSync,
  existsSync,
  mkdirSync,
  readdirSync,
  readFileSync,
  statSync,
  writeFileSync,
} from "node:fs";
import { basename, dirname, join, resolve } from "node:path";

/** What `init` would do in a folder: the files it writes, the package.json keys it sets. */
export interface InitPlan {
  /** Paths relative to the folder, in the order they are written. */
  readonly files: readonly string[];
  /** `scripts.*`, `type` and `jest`, as they will be in the folder's package.json. */
  readonly packageJson: Readonly<Record<string, unknown>>;
  /** Files or package.json keys that exist with other content: `init` stops unless forced. */
  readonly conflicts: readonly string[];
  /** Install commands for the template's dependencies that package.json does not list yet. */
  readonly missing: readonly string[];
}

interface Manifest {
  type?: string;
  scripts?: Record<string, string>;
  jest?: unknown;
  dependencies?: Record<string, string>;
  devDependencies?: Record<string, string>;
}

/** `npm init -y` writes this placeholder; replacing it is what the user asked for. */
const NPM_INIT_TEST = 'echo "Error: no test specified" && exit 1';

const readJson = (path: string): Manifest => JSON.parse(readFileSync(path, "utf8")) as Manifest;

function walk(root: string, dir: string): string[] {
  return readdirSync(join(root, dir))
    .sort()
    .flatMap((name) => {
      const path = join(dir, name);
      return statSync(join(root, path)).isDirectory() ? walk(root, path) : [path];
    });
}

/**
 * Compares the own-app template with `target` without touching either. The template is the
 * package's `examples/own-app`, the project CI builds and tests, so what `init` writes is tested.
 */
export function planInit(template: string, target: string): InitPlan {
  const files = ["tsconfig.json", ...walk(template, "src"), ...walk(template, "test")];
  const conflicts = files.filter(
    (file) =>
      existsSync(join(target, file)) &&
      readFileSync(join(target, file), "utf8") !== readFileSync(join(template, file), "utf8"),
  );
  const own = readJson(join(template, "package.json"));
  const manifestPath = join(target, "package.json");
  const current: Manifest = existsSync(manifestPath) ? readJson(manifestPath) : {};
  for (const [name, script] of Object.entries(own.scripts ?? {})) {
    const theirs = current.scripts?.[name];
    if (theirs !== undefined && theirs !== script && !(name === "test" && theirs === NPM_INIT_TEST))
      conflicts.push(`package.json scripts.${name}`);
  }
  if (current.jest !== undefined && JSON.stringify(current.jest) !== JSON.stringify(own.jest))
    conflicts.push("package.json jest");

  const listed = { ...current.dependencies, ...current.devDependencies };
  // With the template's ranges, quoted for the shell: `lucia@2` alone could be what a user has.
  const absent = (deps: Record<string, string> = {}) =>
    Object.entries(deps)
      .filter(([name]) => !Object.hasOwn(listed, name))
      .map(([name, range]) => `'${name}@${range}'`);
  const runtime = absent(own.dependencies);
  const dev = absent(own.devDependencies);
  const missing = [
    ...(runtime.length ? [`npm install ${runtime.join(" ")}`] : []),
    ...(dev.length ? [`npm install -D ${dev.join(" ")}`] : []),
  ];
  return {
    files,
    // npm 11's `npm init -y` writes "commonjs"; the package and Lucia 2 are ESM only, so it goes.
    packageJson: { type: "module", scripts: { ...current.scripts, ...own.scripts }, jest: own.jest },
    conflicts,
    missing,
  };
}

/** Writes the plan: every template file, then package.json with the plan's keys merged in. */
export function writeInit(template: string, target: string, plan: InitPlan): void {
  for (const file of plan.files) {
    mkdirSync(dirname(join(target, file)), { recursive: true });
    copyFileSync(join(template, file), join(target, file));
  }
  const manifestPath = join(target, "package.json");
  const current = existsSync(manifestPath)
    ? readJson(manifestPath)
    : {
        name: basename(resolve(target))
          .toLowerCase()
          .replace(/[^a-z0-9._-]/g, "-"),
        private: true,
      };
  writeFileSync(manifestPath, `${JSON.stringify({ ...current, ...plan.packageJson }, null, 2)}\n`);
}
