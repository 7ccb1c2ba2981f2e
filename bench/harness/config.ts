import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

// `npm run bench` compares side by side in one run; `npm run bench -- --smoke` is CI's short run;
// `--profile` adds a CPU profile of our server during the whole login.
export const smoke = process.argv.includes("--smoke");
export const profile = process.argv.includes("--profile");
// `--only=2,5` runs only those rows, while working on one figure.
export const only = process.argv
  .find((a) => a.startsWith("--only="))
  ?.slice("--only=".length)
  .split(",")
  .map(Number);
export const wanted = (row: number) => !only || only.includes(row);
export const LATENCY_MS = 40;
export const ROUNDS = smoke ? 1 : 6;
export const START_SECONDS = smoke ? 1 : 3;
export const LOGIN_SECONDS = smoke ? 1 : 5;
// Rows 2, 3 and 5: the alternating pairs of turns that give the ratio.
export const PAIRS = smoke ? 1 : 2 * ROUNDS;
export const PAIR_SECONDS = smoke ? 1 : 3;
export const WARM_SECONDS = smoke ? 1 : 3;
export const PENDING = smoke ? 2_000 : 100_000;
/** The run's scratch folder (the servers' SQLite files), removed at the end. */
export const dir = mkdtempSync(join(tmpdir(), "elb-bench-"));
