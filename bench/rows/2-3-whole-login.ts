import type { Bench } from "../harness/context.js";
import { LOGIN_SECONDS, PAIR_SECONDS, PAIRS, ROUNDS, WARM_SECONDS } from "../harness/config.js";
import { cpuMicros, startServer, stop, type Contender, type Running } from "../harness/servers.js";
import { alternatingPairs, fmt, holds, median, medianRatio, signedMs } from "../harness/stats.js";
import { loginLoad } from "../login-load.js";
import { LABELS, PATHS, roundTripsText, serverRoundTrips } from "./round-trip-count.js";

// Row 3c's second load: few enough browsers that, with Bitbucket 40 ms away, the machine idles
// between round trips (about a quarter of row 3's logins/s).
const LIGHT_BROWSERS = 16;

// 2 and 3. Whole login: start → authorize → callback → session, on loopback and with Bitbucket
// 40 ms away, against the hand-written routes and passport, with Cloud's allow and Data Center beside.
export async function wholeLoginRow(
  bench: Bench,
  row: string,
  title: string,
  latencyMs: number,
  concurrency: number,
): Promise<{ readonly cpuRatios: number[] }> {
  const trips = await serverRoundTrips(bench);
  bench.fake.setLatency(latencyMs);
  bench.dataCenter.setLatency(latencyMs);
  const names: Contender[] = ["ours", "ours+allow", "handwritten", "passport", "dc", "dc+allow"];
  const results = Object.fromEntries(names.map((n) => [n, [] as Awaited<ReturnType<typeof loginLoad>>[]]));
  const servers: Partial<Record<Contender, Running>> = {};
  for (const name of names) servers[name] = await startServer(name, bench.fakes);
  const url = (name: Contender) => servers[name]?.url ?? "";
  // Warmed at the row's own load until the JIT has settled: a server runs for hours, and our
  // router has more code to compile than the hand-written routes (a 1 s warm-up left its first
  // turns ~30 % slower than its later ones).
  for (const name of names)
    await loginLoad(url(name), PATHS[name], bench.fake.url, WARM_SECONDS, concurrency);
  for (let round = 0; round < ROUNDS; round++) {
    for (const name of names) {
      results[name]?.push(
        await loginLoad(url(name), PATHS[name], bench.fake.url, LOGIN_SECONDS, concurrency),
      );
    }
  }
  // The ratio against the hand-written routes, taken as row 5 takes its own: the median of
  // alternating pairs of turns of the two alone.
  // Each turn also gives the server's own CPU per login: on loopback the machine is CPU-bound, so
  // that is what the logins/s ratio stands for, less moved by what else the machine runs.
  const turn =
    (name: Contender, browsers = concurrency) =>
    async () => {
      const server = servers[name] as Running;
      const cpuBefore = cpuMicros(server);
      const result = await loginLoad(server.url, PATHS[name], bench.fake.url, PAIR_SECONDS, browsers);
      return { ...result, cpuPerLogin: (cpuMicros(server) - cpuBefore) / Math.max(result.logins, 1) };
    };
  const paired = await alternatingPairs(PAIRS, turn("ours"), turn("handwritten"));
  // Cloud with allow against without, in alternating pairs too (the rounds above always run them in
  // one order); and, with Bitbucket far away, again at 16 browsers, where the machine is not
  // CPU-bound and a login's time is its round trips, which is what allow must not add to.
  const allowPaired = await alternatingPairs(PAIRS, turn("ours+allow"), turn("ours"));
  const allowLight = latencyMs
    ? await alternatingPairs(PAIRS, turn("ours+allow", LIGHT_BROWSERS), turn("ours", LIGHT_BROWSERS))
    : null;
  await Promise.all(Object.values(servers).map((s) => (s ? stop(s) : undefined)));
  const summary = (name: Contender) => {
    const runs = results[name] ?? [];
    return {
      lps: median(runs.map((r) => r.loginsPerSecond)),
      p50: median(runs.map((r) => r.p50)),
      p99: median(runs.map((r) => r.p99)),
      failures: runs.reduce((n, r) => n + r.failures, 0),
      reasons: [...new Set(runs.flatMap((r) => Object.keys(r.reasons ?? {})))].join("; "),
    };
  };
  const s = Object.fromEntries(names.map((n) => [n, summary(n)])) as Record<
    Contender,
    ReturnType<typeof summary>
  >;
  console.log(`${title} (logins/s, ${concurrency} concurrent browsers, same fake Bitbucket, SQLite users)`);
  for (const name of names) {
    const r = s[name];
    console.log(
      `   ${LABELS[name].padEnd(30)} ${fmt(r.lps).padStart(6)} logins/s   p50 ${fmt(r.p50, 1)} ms   p99 ${fmt(r.p99, 1)} ms   failures ${r.failures}${r.reasons ? ` (${r.reasons})` : ""}`,
    );
  }
  const pick = (key: "loginsPerSecond" | "p99" | "cpuPerLogin") => ({
    ours: paired.a.map((r) => r[key]),
    handwritten: paired.b.map((r) => r[key]),
  });
  const lps = pick("loginsPerSecond");
  const ratio = medianRatio(lps.ours, lps.handwritten);
  // p99 as the ratio is taken: the median of the pairs' differences, ours minus the hand-written.
  const tail = pick("p99");
  const p99 = median(tail.ours.map((v, k) => v - (tail.handwritten[k] ?? NaN)));
  // Above 1 when ours uses less CPU per login, as the logins/s ratio reads.
  const cpu = pick("cpuPerLogin");
  const cpuRatio = medianRatio(cpu.handwritten, cpu.ours);
  const cpuOurs = median(cpu.ours);
  const cpuHandwritten = median(cpu.handwritten);
  const roundsP99 = s.ours.p99 - s.handwritten.p99;
  console.log(
    `   ratio ${fmt(ratio, 2)}× the hand-written routes (median of ${PAIRS} alternating pairs; target ≥ 1.00×; ` +
      `${fmt(s.ours.lps / s.handwritten.lps, 2)}× from the rounds' medians above), ` +
      `${fmt(s.ours.lps / s.passport.lps, 2)}× passport; p99 ${signedMs(p99)} against the hand-written routes ` +
      `(median of the pairs' differences; ${signedMs(roundsP99)} from the rounds); ` +
      `allow adds ${fmt(s["ours+allow"].p50 - s.ours.p50, 1)} ms at p50`,
  );
  console.log(
    `   server CPU per login in the pairs: ours ${fmt(cpuOurs)} µs, hand-written ${fmt(cpuHandwritten)} µs, ` +
      `${fmt(cpuRatio, 2)}× (median of the pairs; above 1 when ours uses less)`,
  );
  console.log(
    `   Data Center: ${fmt(s.dc.lps / s.ours.lps, 2)}× Cloud's logins/s; allow adds ${fmt(s["dc+allow"].p50 - s.dc.p50, 1)} ms at p50`,
  );
  console.log(`   ${roundTripsText(trips)}\n`);
  if (names.some((n) => s[n].failures > 0)) process.exitCode = 1;
  const where = latencyMs ? `, Bitbucket ${latencyMs} ms away` : " on loopback";
  const timing = (r: ReturnType<typeof summary>) =>
    `${fmt(r.lps)} (p50 ${fmt(r.p50, 1)} ms, p99 ${fmt(r.p99, 1)} ms)`;
  bench.figures.push({
    row,
    comparison: `whole login${where}, logins/s, ${concurrency} browsers`,
    ours: `${timing(s.ours)}; with allow ${fmt(s["ours+allow"].lps)}`,
    other: `hand-written Lucia v2 guide routes: ${timing(s.handwritten)}; passport: ${timing(s.passport)}`,
    ratio:
      `${fmt(ratio, 2)}× hand-written (median of ${PAIRS} alternating pairs)` +
      (latencyMs ? `; p99 ${signedMs(p99)}` : "") +
      `; server CPU per login ${fmt(cpuRatio, 2)}× (${fmt(cpuOurs)} against ${fmt(cpuHandwritten)} µs)`,
    target: latencyMs ? "≥ 1.00×; p99 within 5 ms" : "≥ 1.00×",
    holds: holds(ratio >= 1 && (!latencyMs || p99 <= 5)),
    raw: {
      ours: s.ours.lps,
      handwritten: s.handwritten.lps,
      passport: s.passport.lps,
      ratio,
      roundsRatio: s.ours.lps / s.handwritten.lps,
      p99,
      roundsP99,
      cpuPerLogin: cpuOurs,
      handwrittenCpuPerLogin: cpuHandwritten,
      cpuRatio,
    },
  });
  // Cloud's gate costs no round trip of its own: it runs beside /2.0/user. Each figure is the median
  // of the alternating pairs: logins/s as a ratio, p50 as the pairs' differences.
  type Turn = { loginsPerSecond: number; p50: number };
  const allowFigures = (pairs: { a: Turn[]; b: Turn[] }) => ({
    ratio: medianRatio(
      pairs.a.map((r) => r.loginsPerSecond),
      pairs.b.map((r) => r.loginsPerSecond),
    ),
    p50: median(pairs.a.map((r, k) => r.p50 - (pairs.b[k]?.p50 ?? NaN))),
    allow: median(pairs.a.map((r) => r.loginsPerSecond)),
    without: median(pairs.b.map((r) => r.loginsPerSecond)),
  });
  const full = allowFigures(allowPaired);
  const light = allowLight ? allowFigures(allowLight) : null;
  const allowRatio = full.ratio;
  const allowP50 = full.p50;
  bench.figures.push({
    row: `${row}c`,
    comparison: `Cloud whole login with allow against without${where}, logins/s and p50 (${roundTripsText(trips)})`,
    ours: `with allow: ${timing(s["ours+allow"])}`,
    other: `without allow: ${timing(s.ours)}`,
    ratio:
      `${fmt(allowRatio, 2)}×; p50 ${signedMs(allowP50)} at ${concurrency} browsers (median of ${PAIRS} alternating pairs)` +
      (light
        ? `; at ${LIGHT_BROWSERS} browsers ${fmt(light.ratio, 2)}×, p50 ${signedMs(light.p50)} (${fmt(light.allow)} against ${fmt(light.without)} logins/s)`
        : ""),
    target: latencyMs ? `≥ 0.95×; p50 within 5 ms, at ${LIGHT_BROWSERS} browsers` : "",
    holds: light ? holds(light.ratio >= 0.95 && light.p50 <= 5) : "",
    raw: {
      allow: s["ours+allow"].lps,
      without: s.ours.lps,
      ratio: allowRatio,
      p50: allowP50,
      ...(light ? { lightRatio: light.ratio, lightP50: light.p50, lightBrowsers: LIGHT_BROWSERS } : {}),
      roundTripsCloud: trips.ours,
      roundTripsCloudAllow: trips["ours+allow"],
      roundTripsCloudAllowEmail: trips["ours+allow+email"],
      roundTripsDataCenter: trips.dc,
      roundTripsDataCenterAllow: trips["dc+allow"],
    },
  });
  bench.figures.push({
    row: `${row}b`,
    comparison: `Data Center whole login${where}, logins/s (server round trips: ${trips.dc}, with allow ${trips["dc+allow"]}; Cloud: ${trips.ours}, with allow ${trips["ours+allow"]})`,
    ours: `${timing(s.dc)}; with allow ${timing(s["dc+allow"])}`,
    other: `Cloud (this package): ${fmt(s.ours.lps)}`,
    ratio: `${fmt(s.dc.lps / s.ours.lps, 2)}× Cloud`,
    target: "",
    holds: "",
    raw: { dc: s.dc.lps, dcAllow: s["dc+allow"].lps, cloud: s.ours.lps },
  });
  // Each pair's CPU-per-login ratio (hand-written over ours), for row 6's target.
  return { cpuRatios: cpu.ours.map((v, k) => (cpu.handwritten[k] ?? NaN) / v) };
}
