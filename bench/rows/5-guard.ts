import autocannon from "autocannon";
import type { Bench } from "../harness/context.js";
import { PAIRS, START_SECONDS } from "../harness/config.js";
import { startServer, stop } from "../harness/servers.js";
import { alternatingPairs, fmt, holds, median, medianRatio } from "../harness/stats.js";
import { loginOnce } from "../login-load.js";
import { PATHS } from "./round-trip-count.js";

// 5. An authenticated route with bitbucketAccessGuard in front, against the same route without it.
// Both servers have allow, stay up and are warmed; each request carries one signed-in session whose
// check is fresh. The difference is ~2 % of CPU, below the noise of one turn, so the turns alternate
// in pairs and the figure is the median of the pairs' ratios (a slow moment hits both of a pair).
export async function guardRow(bench: Bench): Promise<void> {
  const names = ["ours+allow", "ours+guard"] as const;
  const servers = await Promise.all(names.map((name) => startServer(name, bench.fakes)));
  const cookies = await Promise.all(servers.map((s) => loginOnce(s.url, PATHS.ours, bench.fake.url)));
  const load = async (i: number, duration: number) => {
    const result = await autocannon({
      url: `${servers[i]?.url ?? ""}/me`,
      connections: 32,
      duration,
      headers: { cookie: cookies[i] ?? "" },
    });
    if (result.errors > 0 || result.non2xx > 0) throw new Error(`unexpected answers on /me (${names[i]})`);
    return result.requests.average;
  };
  for (const i of [0, 1]) await load(i, 2); // warm-up
  const { a: plain, b: guarded } = await alternatingPairs(
    PAIRS,
    () => load(0, START_SECONDS),
    () => load(1, START_SECONDS),
  );
  await Promise.all(servers.map(stop));
  const ratio = medianRatio(guarded, plain);
  bench.figures.push({
    row: "5",
    comparison: "`GET /me` signed in, with `bitbucketAccessGuard` (fresh check), requests/s",
    ours: fmt(median(guarded)),
    other: `the same route without the guard: ${fmt(median(plain))}`,
    ratio: `${fmt(ratio, 2)}× (median of ${PAIRS} alternating pairs)`,
    target: "≥ 0.97×",
    holds: holds(ratio >= 0.97),
    raw: { guarded: median(guarded), plain: median(plain), ratio },
  });
  console.log(
    `5. GET /me, signed in, Lucia validating the session (requests/s, 32 connections, ${PAIRS} alternating pairs)`,
  );
  console.log(
    `   without the guard: ${fmt(median(plain))}   with bitbucketAccessGuard: ${fmt(median(guarded))}   ratio ${fmt(ratio, 2)}× (median of the pairs; target ≥ 0.97×)\n`,
  );
}
