import type { Bench } from "../harness/context.js";
import { PAIRS, START_SECONDS, WARM_SECONDS } from "../harness/config.js";
import { rps, startServer, stop } from "../harness/servers.js";
import { alternatingPairs, fmt, holds, median, medianRatio } from "../harness/stats.js";

// 1. Start of login against the limit (a bare route with one signed cookie and a 302). Both servers
// stay up and are warmed; the figure is the median of alternating pairs of turns, as rows 2, 3 and
// 5 take theirs: a server restarted for every turn varied by more than the difference measured
// (0.84× and 1.03× in two runs of one commit).
export async function loginStartRow(bench: Bench): Promise<void> {
  const [bare, ours] = [await startServer("bare", bench.fakes), await startServer("ours", bench.fakes)];
  for (const server of [bare, ours]) await rps(server, "/login/bitbucket", WARM_SECONDS);
  const paired = await alternatingPairs(
    PAIRS,
    () => rps(ours, "/login/bitbucket", START_SECONDS),
    () => rps(bare, "/login/bitbucket", START_SECONDS),
  );
  await Promise.all([stop(bare), stop(ours)]);
  const ratio = medianRatio(paired.a, paired.b);
  bench.figures.push({
    row: "1",
    comparison: "`GET /login/bitbucket`, requests/s (autocannon, 32 connections)",
    ours: fmt(median(paired.a)),
    other: `bare Express route (one signed cookie + 302): ${fmt(median(paired.b))}`,
    ratio: `${fmt(ratio, 2)}× (median of ${PAIRS} alternating pairs)`,
    target: "≥ 0.90×",
    holds: holds(ratio >= 0.9),
    raw: { ours: median(paired.a), bare: median(paired.b), ratio },
  });
  console.log(`1. GET /login/bitbucket (requests/s, autocannon, 32 connections, ${PAIRS} alternating pairs)`);
  console.log(
    `   bare Express route: ${fmt(median(paired.b))}   express-lucia-bitbucket: ${fmt(median(paired.a))}   ratio ${fmt(ratio, 2)}× (median of the pairs; target ≥ 0.90×)\n`,
  );
}
