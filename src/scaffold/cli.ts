#!/usr/bin/env node
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";
import { planInit, writeInit } from "./init.js";

// `npx express-lucia-bitbucket init [folder]`: the own-app project of the README, written into an
// npm project, so a new user starts from the tested files instead of rebuilding them from the docs.
const USAGE =
  "Usage: express-lucia-bitbucket init [folder] [--force]\n" +
  "  Writes tsconfig.json, src/{lucia,app,server}.ts and test/ (a login test for Jest and node:test)\n" +
  '  into folder (default: here), and sets "type": "module", the build/start/dev/test scripts and the\n' +
  "  Jest config in its package.json. Stops before changing a file that differs, unless --force.\n";

const { values, positionals } = parseArgs({
  allowPositionals: true,
  options: { force: { type: "boolean", default: false }, help: { type: "boolean", default: false } },
});
const [command, folder = ".", ...rest] = positionals;
if (values.help || command === "help") {
  process.stdout.write(USAGE);
  process.exit(0);
}
if (command !== "init" || rest.length > 0) {
  process.stderr.write(
    `express-lucia-bitbucket: unknown command ${JSON.stringify(positionals.join(" "))}\n${USAGE}`,
  );
  process.exit(2);
}

// dist/scaffold/cli.js → the package root, which ships examples/own-app.
const template = fileURLToPath(new URL("../../examples/own-app/", import.meta.url));
const plan = planInit(template, folder);
if (plan.conflicts.length > 0 && !values.force) {
  process.stderr.write(
    `express-lucia-bitbucket init: these differ from the template, so nothing was written:\n` +
      plan.conflicts.map((c) => `  ${c}\n`).join("") +
      "Move them aside, or run again with --force to overwrite them.\n",
  );
  process.exit(1);
}
writeInit(template, folder, plan);
process.stdout.write(
  plan.files.map((file) => `wrote ${file}\n`).join("") +
    "set package.json type, scripts (build, start, dev, test) and jest\n" +
    (plan.missing.length > 0 ? `still to install:\n${plan.missing.map((m) => `  ${m}\n`).join("")}` : "") +
    "next: npm test, then npm run dev (http://localhost:3000, against the fake Bitbucket)\n",
);
