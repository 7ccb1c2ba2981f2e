import type { Bench } from "../harness/context.js";
import { LATENCY_MS } from "../harness/config.js";
import { startServer, stop, type Contender } from "../harness/servers.js";
import { loginOnce } from "../login-load.js";
import { roundTrips, serverRequests } from "../round-trips.js";

// The server's round trips per login, counted at the fakes: one login of each variant alone, with
// Bitbucket LATENCY_MS away so that requests in flight together overlap at the bench.fake.
export const ROUND_TRIP_VARIANTS = ["ours", "ours+allow", "ours+allow+email", "dc", "dc+allow"] as const;
let measuredRoundTrips: Record<(typeof ROUND_TRIP_VARIANTS)[number], number> | undefined;
export async function serverRoundTrips(bench: Bench) {
  if (measuredRoundTrips) return measuredRoundTrips;
  bench.fake.setLatency(LATENCY_MS);
  bench.dataCenter.setLatency(LATENCY_MS);
  const counted: Partial<Record<(typeof ROUND_TRIP_VARIANTS)[number], number>> = {};
  for (const name of ROUND_TRIP_VARIANTS) {
    const server = await startServer(name, bench.fakes);
    const from = { cloud: bench.fake.requests.length, dc: bench.dataCenter.requests.length };
    await loginOnce(server.url, PATHS.ours, bench.fake.url);
    counted[name] = roundTrips([
      ...serverRequests(bench.fake.requests, from.cloud),
      ...serverRequests(bench.dataCenter.requests, from.dc),
    ]);
    await stop(server);
  }
  bench.fake.setLatency(0);
  bench.dataCenter.setLatency(0);
  return (measuredRoundTrips = counted as Record<(typeof ROUND_TRIP_VARIANTS)[number], number>);
}
export const roundTripsText = (r: Awaited<ReturnType<typeof serverRoundTrips>>) =>
  `server round trips per login, counted at the fake: Cloud ${r.ours}, with allow ${r["ours+allow"]}, ` +
  `with allow and fetchEmail ${r["ours+allow+email"]}; Data Center ${r.dc}, with allow ${r["dc+allow"]}`;

// The contenders of the whole login: where each starts a login, and its session cookie.
export const PATHS: Record<Contender, { start: string; sessionCookie: string }> = {
  ours: { start: "/login/bitbucket", sessionCookie: "auth_session" },
  "ours+allow": { start: "/login/bitbucket", sessionCookie: "auth_session" },
  handwritten: { start: "/login/bitbucket", sessionCookie: "auth_session" },
  passport: { start: "/auth/bitbucket", sessionCookie: "connect.sid" },
  dc: { start: "/login/bitbucket", sessionCookie: "auth_session" },
  "dc+allow": { start: "/login/bitbucket", sessionCookie: "auth_session" },
};
export const LABELS: Record<Contender, string> = {
  ours: "express-lucia-bitbucket",
  "ours+allow": "  … with allow (1 workspace)",
  handwritten: "hand-written (Lucia v2 guide)",
  passport: "passport-bitbucket-oauth2",
  dc: "Data Center (this package)",
  "dc+allow": "  … with allow (1 project)",
};
