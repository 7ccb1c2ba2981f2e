// Mutation testing of the security code: `npm run mutate` (tens of minutes on two cores, so it is
// not part of `npm test`). One file: `npm run mutate -- --mutate src/editions/cloud/access.ts`.
// The fuzz suite runs 150 cases per mutant instead of 1,000.
process.env.FUZZ_RUNS ??= "150";

/** @type {import('@stryker-mutator/api/core').PartialStrykerOptions} */
export default {
  packageManager: "npm",
  testRunner: "jest",
  testRunnerNodeArgs: ["--experimental-vm-modules", "--require", "./test/mutation/select-test-files.cjs"],
  coverageAnalysis: "perTest",
  plugins: ["@stryker-mutator/*", "./test/mutation/ignore-debug-log.mjs"],
  ignorers: ["debug-log"],
  checkers: ["typescript"],
  tsconfigFile: "tsconfig.json",
  mutate: [
    "src/state/state-cookie.ts",
    "src/state/return-to.ts",
    "src/config/return-hosts.ts",
    "src/config/public-path.ts",
    "src/routes/callback.ts",
    "src/lucia/user.ts",
    "src/lucia/session.ts",
    "src/routes/logout.ts",
    "src/http/upstream.ts",
    "src/config/resolve-options.ts",
    "src/editions/cloud/access.ts",
    "src/editions/cloud/allow.ts",
    "src/routes/gate.ts",
    "src/routes/link.ts",
    "src/routes/same-origin.ts",
    "src/editions/cloud/bitbucket-api.ts",
    "src/errors/failure.ts",
    "src/state/cookie-header.ts",
    "src/state/used-states.ts",
    "src/editions/cloud/exchange.ts",
    "src/editions/cloud/token-endpoint.ts",
    "src/recheck/access-guard.ts",
    "src/tokens/token-store.ts",
    "src/tokens/token-seal.ts",
    "src/tokens/sql-token-stores.ts",
    "src/recheck/refresh.ts",
    "src/recheck/check-access.ts",
    "src/editions/select.ts",
    "src/editions/bitbucket-grant.ts",
    "src/editions/grant.ts",
    "src/editions/cloud/cloud.ts",
    "src/http/paths.ts",
    "src/http/token-form.ts",
    "src/editions/datacenter/allow.ts",
    "src/editions/datacenter/server-url.ts",
    "src/editions/datacenter/api.ts",
    "src/editions/datacenter/identity.ts",
    "src/editions/datacenter/access.ts",
    "src/editions/datacenter/datacenter.ts",
    "src/util/rule-lists.ts",
    "src/recheck/guard-config.ts",
    "src/recheck/user-check.ts",
    "src/recheck/credentials.ts",
    "src/http/deadline.ts",
    "src/http/status-errors.ts",
    "src/state/state-value.ts",
    "src/config/state-cookie-options.ts",
    "src/config/resolve-hooks.ts",
    "src/util/validators.ts",
    "src/router.ts",
  ],
  jest: {
    projectType: "custom",
    enableFindRelatedTests: false,
    config: {
      testEnvironment: "node",
      extensionsToTreatAsEsm: [".ts"],
      moduleNameMapper: {
        "^(\\.{1,2}/.*)\\.js$": "$1",
        // The example server imports the package by name, which `npm test` resolves to the built
        // dist; the sandbox has no dist, and its mutants live in src.
        "^express-lucia-bitbucket$": "<rootDir>/src/index.ts",
        "^express-lucia-bitbucket/testing$": "<rootDir>/src/testing/index.ts",
      },
      transform: { "^.+\\.ts$": ["ts-jest", { useESM: true, tsconfig: "tsconfig.json" }] },
      testMatch: ["<rootDir>/test/**/*.test.ts"],
      // Suites that only drive child processes (npm start, npm pack, Chromium, the CLIs) or read docs/
      // or examples/ (which the sandbox leaves out) cover no mutant in this process; they run in
      // `npm test`.
      testPathIgnorePatterns: [
        "/node_modules/",
        "test/(project/(api-docs|bench-table|package|readme|readme-snippets)|e2e/(browser|datacenter-tls|example-curl|own-app|scaffold-init|two-instances))\\.test\\.ts$",
      ],
      testTimeout: 60_000,
    },
  },
  timeoutMS: 60_000,
  concurrency: 2,
  reporters: ["clear-text", "progress", "html", "json"],
  htmlReporter: { fileName: ".tmp/mutation/index.html" },
  jsonReporter: { fileName: ".tmp/mutation/mutation.json" },
  tempDirName: ".tmp/stryker",
  ignorePatterns: [".tmp", "dist", "docs", "examples"],
  cleanTempDir: "always",
  // Off: with the Jest runner, Stryker cannot see a change inside a test's body (Jest reports no test
  // locations), so an incremental run reused "survived" for mutants that a new assertion kills. For
  // a quick local loop only: `npm run mutate -- --mutate src/x.ts --incremental`; quote only full runs.
  incremental: false,
  incrementalFile: ".tmp/mutation/stryker-incremental.json",
};
