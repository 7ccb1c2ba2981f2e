import { readFileSync, writeFileSync } from "node:fs";
import { LATEST, readResults, renderTable, withTable } from "./results.js";

// `npm run bench:table` writes the table of the last full run into docs/benchmarks.md;
// `-- --check` only says whether the two agree (test/bench-table.test.ts asks the same in CI).
const DOC = "docs/benchmarks.md";
const text = readFileSync(DOC, "utf8");
const next = withTable(text, renderTable(readResults(LATEST)));
if (process.argv.includes("--check")) {
  if (next !== text) {
    process.stderr.write(`${DOC} is not the table of ${LATEST}: run npm run bench:table\n`);
    process.exit(1);
  }
} else {
  writeFileSync(DOC, next);
}
