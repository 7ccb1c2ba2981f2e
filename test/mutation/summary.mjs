// Per-file counts of a Stryker JSON report, and every mutant that survived or went untested with
// its line, so a run's result can be committed and read without the HTML report.
// Usage: node test/mutation/summary.mjs [.tmp/mutation/mutation.json]
import { readFileSync } from "node:fs";

const report = JSON.parse(readFileSync(process.argv[2] ?? ".tmp/mutation/mutation.json", "utf8"));
const SHOWN = new Set(["Survived", "NoCoverage", "RuntimeError"]);
const total = {};
const count = (into, status) => (into[status] = (into[status] ?? 0) + 1);

const files = Object.entries(report.files).sort(([a], [b]) => a.localeCompare(b));
for (const [file, { source, mutants }] of files) {
  const counts = {};
  for (const m of mutants) {
    count(counts, m.status);
    count(total, m.status);
  }
  console.log(file, JSON.stringify(counts));
  const lines = source.split("\n");
  const shown = mutants.filter((m) => SHOWN.has(m.status));
  for (const { status, location, mutatorName, replacement = "" } of shown) {
    const { line, column } = location.start;
    console.log(
      `  ${status} ${line}:${column} ${mutatorName}: ${lines[line - 1].trim().slice(0, 90)} -> ${replacement.slice(0, 60)}`,
    );
  }
}
const detected = (total.Killed ?? 0) + (total.Timeout ?? 0);
const undetected = (total.Survived ?? 0) + (total.NoCoverage ?? 0);
console.log("total", JSON.stringify(total));
console.log(`mutation score ${((100 * detected) / (detected + undetected)).toFixed(2)} %`);
