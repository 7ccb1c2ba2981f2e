import autocannon from "autocannon";
import type { Bench } from "../harness/context.js";
import { PAIRS, START_SECONDS } from "../harness/config.js";
import { startServer, stop } from "../harness/servers.js";
import { alternatingPairs, fmt, holds, median, medianRatio } from "../harness/stats.js";
import { loginOnce } from "../login-load.js";
import { PATHS } from "./round-trip-count.js";

// 7. What a reverse proxy asks on every request: bitbucketForwardAuth's check of a named rule
// (fresh), against a bare Express route of the same server that validates the same Lucia session
// and answers 200. One server, one signed-in session; the turns alternate in pairs.
export async function forwardAuthRow(bench: Bench): Promise<void> {
  const server = await startServer("ours+forward", bench.fakes);
  const cookie = await loginOnce(server.url, PATHS.ours, bench.fake.url);
  const load = async (path: string, duration: number) => {
    const result = await autocannon({
      url: `${server.url}${path}`,
      connections: 32,
      duration,
      headers: { cookie },
    });
    if (result.errors > 0 || result.non2xx > 0) throw new Error(`unexpected answers on ${path}`);
    return result.requests.average;
  };
  // The first check asks Bitbucket once; from then on it is fresh for the interval (5 minutes).
  for (const path of ["/session", "/_auth/check/docs"]) await load(path, 2); // warm-up
  const { a: bare, b: check } = await alternatingPairs(
    PAIRS,
    () => load("/session", START_SECONDS),
    () => load("/_auth/check/docs", START_SECONDS),
  );
  await stop(server);
  const ratio = medianRatio(check, bare);
  bench.figures.push({
    row: "7",
    comparison: "forward-auth `GET /_auth/check/docs` (fresh), requests/s",
    ours: fmt(median(check)),
    other: `a bare route validating the same Lucia session: ${fmt(median(bare))}`,
    ratio: `${fmt(ratio, 2)}× (median of ${PAIRS} alternating pairs)`,
    target: "≥ 0.90×",
    holds: holds(ratio >= 0.9),
    raw: { check: median(check), bare: median(bare), ratio },
  });
  console.log(
    `7. Forward-auth check against a bare session route (requests/s, 32 connections, ${PAIRS} alternating pairs)`,
  );
  console.log(
    `   bare route: ${fmt(median(bare))}   bitbucketForwardAuth: ${fmt(median(check))}   ratio ${fmt(ratio, 2)}× (median of the pairs; target ≥ 0.90×)\n`,
  );
}
