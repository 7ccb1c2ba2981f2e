import { rmSync } from "node:fs";
import { cpus, totalmem } from "node:os";
import { startFakeBitbucket, startFakeDataCenter } from "express-lucia-bitbucket/testing";
import type { Bench } from "./harness/context.js";
import { dir, LATENCY_MS, only, profile, ROUNDS, smoke, wanted } from "./harness/config.js";
import { PORTS } from "./harness/servers.js";
import { fmt } from "./harness/stats.js";
import { CALLBACK } from "./servers/common.js";
import { currentCommit, describeMachine, LATEST, writeResults } from "./results.js";
import { loginStartRow } from "./rows/1-login-start.js";
import { wholeLoginRow } from "./rows/2-3-whole-login.js";
import { pendingMemoryRow } from "./rows/4-pending-memory.js";
import { guardRow } from "./rows/5-guard.js";
import { profileRow } from "./rows/6-profile.js";
import { forwardAuthRow } from "./rows/7-forward-auth.js";

// The bench: each row in bench/rows/, the servers, the statistics and the flags in bench/harness/.
// Each fake registers the servers' callbacks, as Bitbucket holds an app to its own: Cloud takes a
// prefix (every port), Data Center exact URIs (one per port the run may give a server).
const fake = await startFakeBitbucket({ port: 0, callbackUrl: "http://127.0.0.1:" });
// The fake Data Center under /bitbucket, for the Data Center rows of the whole login.
const dataCenter = await startFakeDataCenter({
  redirectUris: Array.from({ length: PORTS.count }, (_, i) =>
    CALLBACK(String(PORTS.first + i), "/login/bitbucket/callback"),
  ),
});
const bench: Bench = {
  fake,
  dataCenter,
  fakes: { cloudUrl: fake.url, dataCenterUrl: dataCenter.url },
  figures: [],
};
console.log(
  `machine: ${cpus().length} × ${cpus()[0]?.model ?? "cpu"}, ${fmt(totalmem() / 2 ** 30)} GiB, Node ${process.version}`,
);
console.log(
  `mode: ${smoke ? "smoke (short)" : "full"}; both contenders stay up and take ${ROUNDS} turns each; medians reported\n`,
);

if (wanted(1)) await loginStartRow(bench);
let loopbackCpuRatios: number[] = [];
if (wanted(2))
  ({ cpuRatios: loopbackCpuRatios } = await wholeLoginRow(bench, "2", "2. Whole login on loopback", 0, 16));
// With Bitbucket 40 ms away a login waits 2 or 3 round trips, so throughput rests on overlap: 64 browsers.
if (wanted(3))
  await wholeLoginRow(bench, "3", `3. Whole login with Bitbucket ${LATENCY_MS} ms away`, LATENCY_MS, 64);
fake.setLatency(0);
dataCenter.setLatency(0);
if (wanted(4)) await pendingMemoryRow(bench);
if (wanted(5)) await guardRow(bench);
if (profile && wanted(6)) await profileRow(bench, loopbackCpuRatios);
if (wanted(7)) await forwardAuthRow(bench);

await fake.close();
await dataCenter.close();
// Only a complete full run replaces the kept one; a smoke or partial run goes beside it.
const complete = !smoke && !only;
const file = complete ? LATEST : "bench/results/partial.json";
writeResults(file, {
  machine: describeMachine(),
  node: process.version,
  mode: smoke ? "smoke" : "full",
  commit: currentCommit(),
  date: new Date().toISOString().slice(0, 10),
  figures: bench.figures,
});
console.log(
  `figures written to ${file}${complete ? "; npm run bench:table puts them in docs/benchmarks.md" : ""}`,
);
rmSync(dir, { recursive: true, force: true });
