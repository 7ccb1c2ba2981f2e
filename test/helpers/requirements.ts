import { expect, it } from "@jest/globals";

/**
 * Says loudly when a suite cannot run here, and fails instead in CI, where nothing may skip.
 * Returns whether the suite can run.
 */
export function requireTool(available: boolean, what: string, install: string): boolean {
  if (!available) {
    it(`SKIPPED: needs ${what} (${install})`, () => {
      console.warn(
        `\n*** SKIPPED: ${what} is missing here (${install}). CI installs it and never skips. ***\n`,
      );
      expect(process.env.CI).not.toBe("true");
    });
  }
  return available;
}
