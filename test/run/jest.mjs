// `npm test`'s Jest, in ESM mode, failing the run when Jest had to force a worker to exit: that
// line means a timer, socket or child outlived its test, which Jest otherwise reports as a pass.
// Arguments go to Jest unchanged; Jest's output is passed through as it comes.
import { spawn } from "node:child_process";
import { createRequire } from "node:module";

const LEAK = "A worker process has failed to exit gracefully";
const jest = createRequire(import.meta.url).resolve("jest/bin/jest");
const child = spawn(process.execPath, [jest, ...process.argv.slice(2)], {
  stdio: ["inherit", "inherit", "pipe"],
  env: { ...process.env, NODE_OPTIONS: `${process.env.NODE_OPTIONS ?? ""} --experimental-vm-modules`.trim() },
});
let leaked = false;
let tail = "";
child.stderr.on("data", (chunk) => {
  process.stderr.write(chunk);
  // Kept across chunks: the line may arrive in two pieces.
  tail = (tail + chunk.toString("utf8")).slice(-2 * LEAK.length);
  if (tail.includes(LEAK)) leaked = true;
});
for (const signal of ["SIGINT", "SIGTERM"]) process.on(signal, () => child.kill(signal));
child.on("close", (code, signal) => {
  if (leaked) {
    process.stderr.write(
      `\ntest/run/jest.mjs: failing the run: Jest force-exited a worker, so something a test started ` +
        `outlived it (run the suite with --detectOpenHandles to find it).\n`,
    );
    process.exit(1);
  }
  process.exit(code ?? (signal ? 1 : 0));
});
