import type { JestConfigWithTsJest } from "ts-jest";

const config: JestConfigWithTsJest = {
  testEnvironment: "node",
  extensionsToTreatAsEsm: [".ts"],
  moduleNameMapper: {
    "^express-lucia-bitbucket$": "<rootDir>/src/index.ts",
    "^express-lucia-bitbucket/testing$": "<rootDir>/src/testing/index.ts",
    "^(\\.{1,2}/.*)\\.js$": "$1",
  },
  transform: {
    // Type checking runs once in `npm run typecheck`; here ts-jest only transpiles, which keeps the suite fast.
    "^.+\\.ts$": ["ts-jest", { useESM: true, isolatedModules: true, tsconfig: "tsconfig.json" }],
  },
  testMatch: ["<rootDir>/test/**/*.test.ts"],
  testTimeout: 60_000,
  maxWorkers: 2,
};

export default config;
