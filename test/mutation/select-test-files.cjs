// Loaded into each Stryker test-runner process (`testRunnerNodeArgs` in stryker.config.mjs) to make
// a mutant's run cheaper without changing its verdict.
//
// Why: for each mutant, Stryker's Jest runner starts Jest over every test file with a
// `testNamePattern` naming the tests that cover the mutant. Jest still imports every test file
// (Express, Lucia and SQLite, once per file in ESM mode) only to find no test to run in most of
// them, and that import is most of a mutant's time. So:
// - the dry run, which runs every test, records which file holds which test and how long it took;
// - a mutant run with a pattern gets only the files whose tests match it (the same tests run);
// - a mutant run without a pattern (a "static" mutant, one that runs at import, which Stryker
//   tests against the whole suite) runs the files one by one, quickest first, and stops at the
//   first file with a failing test: Stryker counts the mutant as killed by any one failure, which
//   Jest's own `bail` would give but Stryker turns off.
// When the record is missing, Jest gets every file, as without this file.
"use strict";
const fs = require("node:fs");
const path = require("node:path");

// Resolved per call: Stryker moves the worker into its sandbox only after this file has loaded.
const recordPath = () => path.resolve(".stryker-tests-by-file.json");
const ACTIVE_MUTANT = "__STRYKER_ACTIVE_MUTANT__";
const core = require.resolve("@jest/core", { paths: [process.cwd()] });
const cli = require(path.join(path.dirname(core), "cli", "index.js"));
const runCLI = cli.runCLI;
let record;

const load = () =>
  (record ??= fs.existsSync(recordPath()) ? JSON.parse(fs.readFileSync(recordPath(), "utf8")) : null);

function save(result) {
  const RECORD = recordPath();
  if (fs.existsSync(RECORD)) return;
  const files = result.results.testResults.map((file) => ({
    path: file.testFilePath,
    tests: file.testResults.map((test) => test.fullName),
    ms: file.perfStats.end - file.perfStats.start,
  }));
  files.sort((a, b) => a.ms - b.ms);
  fs.writeFileSync(`${RECORD}.${process.pid}`, JSON.stringify(files));
  fs.renameSync(`${RECORD}.${process.pid}`, RECORD);
}

const failed = ({ results }) => results.numFailedTests > 0 || results.numRuntimeErrorTestSuites > 0;

async function untilFirstFailure(argv, projects, files) {
  const passed = [];
  let last;
  for (const file of files) {
    last = await runCLI({ ...argv, runTestsByPath: true, _: [file.path] }, projects);
    if (failed(last)) return last;
    passed.push(...last.results.testResults);
  }
  return { ...last, results: { ...last.results, testResults: passed } };
}

cli.runCLI = async (argv, projects) => {
  const files = load();
  if (argv.testNamePattern === undefined) {
    if (files === null || process.env[ACTIVE_MUTANT] === undefined) {
      const result = await runCLI(argv, projects);
      if (process.env[ACTIVE_MUTANT] === undefined) save(result);
      return result;
    }
    return untilFirstFailure(argv, projects, files);
  }
  // Jest matches the pattern the same way: case-insensitive, against "describe … test".
  const pattern = new RegExp(argv.testNamePattern, "i");
  const matching = (files ?? []).filter((file) => file.tests.some((name) => pattern.test(name)));
  if (matching.length === 0) return runCLI(argv, projects);
  return runCLI({ ...argv, runTestsByPath: true, _: matching.map((file) => file.path) }, projects);
};
