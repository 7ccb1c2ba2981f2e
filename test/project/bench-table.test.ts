import { describe, expect, it } from "@jest/globals";
import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { LATEST, readResults, renderTable, withBlock, withTable } from "../../bench/results.js";
import { readSoak, renderSoak, SOAK, SOAK_END, SOAK_START } from "../../bench/soak/results.js";
import { ROOT } from "../helpers/processes.js";

// The benchmark figures people read are generated from the kept full run, never typed in.
describe("the benchmark table", () => {
  it("in docs/benchmarks.md is empty without a kept run, and otherwise that run's table", () => {
    const doc = readFileSync(join(ROOT, "docs/benchmarks.md"), "utf8");
    if (!existsSync(join(ROOT, LATEST))) {
      expect(withTable(doc, "")).toBe(
        doc.replace(/(<!-- bench:table:start[^\n]*-->\n)[\s\S]*?(<!-- bench:table:end)/, "$1\n$2"),
      );
      expect(doc).toMatch(/<!-- bench:table:start[^\n]*-->\n<!-- bench:table:end -->/);
      return;
    }
    const results = readResults(join(ROOT, LATEST));
    expect(results.mode).toBe("full");
    expect(results.figures.map((f) => f.row)).toEqual(
      expect.arrayContaining(["1", "2", "2b", "3", "3b", "4", "5"]),
    );
  });

  it("in docs/benchmarks.md is the table of that run, as npm run bench:table writes it", () => {
    if (!existsSync(join(ROOT, LATEST))) return;
    const doc = readFileSync(join(ROOT, "docs/benchmarks.md"), "utf8");
    expect(withTable(doc, renderTable(readResults(join(ROOT, LATEST))))).toBe(doc);
  });

  it("in docs/benchmarks.md has the kept soak run's tables, and that run passed", () => {
    const doc = readFileSync(join(ROOT, "docs/benchmarks.md"), "utf8");
    const kept = existsSync(join(ROOT, SOAK));
    const soak = kept ? readSoak(join(ROOT, SOAK)) : undefined;
    expect(withBlock(doc, SOAK_START, SOAK_END, soak ? renderSoak(soak) : "")).toBe(doc);
    if (soak) {
      expect(soak.minutes).toBeGreaterThanOrEqual(5);
      expect(soak.failures).toEqual([]);
    }
  });
});
