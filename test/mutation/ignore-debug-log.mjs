// A Stryker ignorer: mutants inside `log(…)` statements (the `debug` output) are not run.
// Why: what a debug line says is not behaviour, and a mutant can only remove text from it, never
// add a secret. What must and must not reach the log is pinned by test/debug-log.test.ts instead.
import { PluginKind, declareValuePlugin } from "@stryker-mutator/api/plugin";

export const strykerPlugins = [
  declareValuePlugin(PluginKind.Ignore, "debug-log", {
    shouldIgnore(path) {
      const node = path.node;
      if (
        node.type === "ExpressionStatement" &&
        node.expression.type === "CallExpression" &&
        node.expression.callee.type === "Identifier" &&
        node.expression.callee.name === "log"
      ) {
        return "A debug log line is not behaviour; test/debug-log.test.ts pins what is logged.";
      }
      return undefined;
    },
  }),
];
