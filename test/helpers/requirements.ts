import { expect, it } from "@jest/globals";

/**
 * Says loudly when a suite cannot run here. Locally the suite shows up as *skipped* in Jest's
 * summary (never as passed); in CI, where nothing may skip, it fails instead.
 * Returns whether the suite can run.
 */
export function requireTool(available: boolean, what: string, install: string): boolean {
  if (!available) {
    const name = `SKIPPED: needs ${what} (${install})`;
    if (process.env.CI === "true") {
      it(name, () => {
        expect(`${what} is missing in CI, where nothing may skip`).toBe(`${what} installed`);
      });
    } else {
      process.stderr.write(
        `\n*** SKIPPED: ${what} is missing here (${install}). CI installs it and never skips. ***\n`,
      );
      it.skip(name, () => undefined);
    }
  }
  return available;
}
