import { existsSync, readFileSync, writeFileSync } from "node:fs";
import { LATEST, readResults, renderTable, withBlock, withTable } from "./results.js";
import { readSoak, renderSoak, SOAK, SOAK_END, SOAK_START } from "./soak/results.js";

// `npm run bench:table` writes the table of the last full run, and the kept soak run's, into docs/benchmarks.md;
// `-- --check` only says whether the two agree (test/project/bench-table.test.ts asks the same in CI).
const DOC = "docs/benchmarks.md";
const text = readFileSync(DOC, "utf8");
const soak = existsSync(SOAK) ? renderSoak(readSoak(SOAK)) : "";
const next = withBlock(withTable(text, renderTable(readResults(LATEST))), SOAK_START, SOAK_END, soak);
if (process.argv.includes("--check")) {
  if (next !== text) {
    process.stderr.write(`${DOC} is not the table of ${LATEST}: run npm run bench:table\n`);
    process.exit(1);
  }
} else {
  writeFileSync(DOC, next);
}
