import { execFileSync } from "node:child_process";
import { mkdirSync, mkdtempSync, readdirSync } from "node:fs";
import { join } from "node:path";
import { ROOT } from "./processes.js";

/** Runs a command to completion (bounded), with the test's NODE_OPTIONS cleared; returns stdout. */
export const run = (cmd: string, args: string[], cwd: string, timeout = 120_000) =>
  execFileSync(cmd, args, {
    cwd,
    encoding: "utf8",
    env: { ...process.env, NODE_OPTIONS: "", npm_config_update_notifier: "false" },
    stdio: ["ignore", "pipe", "pipe"],
    timeout,
  });

/**
 * `npm pack` (of the dist `npm test` built) into a fresh folder under the repo's `.tmp`, so consumers made there resolve the peers
 * (express, lucia, ...) from the repo's node_modules, as a user's would from theirs.
 */
export function packTarball(): { work: string; tarball: string } {
  mkdirSync(join(ROOT, ".tmp"), { recursive: true });
  const work = mkdtempSync(join(ROOT, ".tmp", "pack-"));
  // --ignore-scripts: no prepack rebuild here, since suites pack in parallel and a rebuild deletes
  // dist under the other's feet. `npm test` builds dist once first (pretest).
  run("npm", ["pack", "--ignore-scripts", "--pack-destination", work], ROOT);
  return { work, tarball: join(work, readdirSync(work).find((f) => f.endsWith(".tgz")) ?? "") };
}

/** Installs only the packed tarball into `dir` (offline when the cache allows). */
export function installTarball(dir: string, tarball: string): void {
  run(
    "npm",
    [
      "install",
      "--prefer-offline",
      "--no-save",
      "--legacy-peer-deps",
      "--no-audit",
      "--no-fund",
      "--ignore-scripts",
      tarball,
    ],
    dir,
  );
}
