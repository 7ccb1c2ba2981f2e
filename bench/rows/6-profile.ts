import { mkdtempSync, readdirSync, rmSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { Bench } from "../harness/context.js";
import { smoke } from "../harness/config.js";
import { startServer, stop } from "../harness/servers.js";
import { fmt, holds, spread } from "../harness/stats.js";
import { loginLoad } from "../login-load.js";
import { costsOf, diffPerLogin, shareOf } from "../profile.js";
import { PATHS } from "./round-trip-count.js";

// 6 (with --profile). Our own share of the server's CPU during the whole login, and the
// differential profile: ours and the hand-written routes under the same load, CPU µs per login.
export async function profileRow(bench: Bench, loopbackCpuRatios: number[]): Promise<void> {
  const profiled: Record<"ours" | "handwritten", { file: string; logins: number }> = {
    ours: { file: "", logins: 0 },
    handwritten: { file: "", logins: 0 },
  };
  const dirs: string[] = [];
  for (const name of ["ours", "handwritten"] as const) {
    const profDir = mkdtempSync(join(tmpdir(), "elb-prof-"));
    dirs.push(profDir);
    const server = await startServer(name, bench.fakes, ["--cpu-prof", `--cpu-prof-dir=${profDir}`]);
    await loginLoad(server.url, PATHS[name], bench.fake.url, 1, 8); // warm-up, in the profile too
    const { logins } = await loginLoad(server.url, PATHS[name], bench.fake.url, smoke ? 1 : 10, 16);
    await stop(server);
    // The largest file is the main thread's (tsx may leave a small one of its own).
    const files = readdirSync(profDir).filter((f) => f.endsWith(".cpuprofile"));
    const file = files.sort((a, b) => statSync(join(profDir, b)).size - statSync(join(profDir, a)).size)[0];
    if (!file) throw new Error("no CPU profile was written");
    profiled[name] = { file: join(profDir, file), logins };
  }
  const share = shareOf(profiled.ours.file);
  const ours = costsOf(profiled.ours.file);
  const other = costsOf(profiled.handwritten.file);
  const perLogin = (c: typeof ours, n: number) => c.total / Math.max(n, 1);
  console.log("6. CPU profile of our server during the whole login (share of non-idle samples)");
  console.log(
    `   this package ${fmt(share.package, 1)} %   @lucia-auth/oauth ${fmt(share.provider, 1)} % + Node's fetch (undici) ${fmt(share.fetch, 1)} %   Lucia + adapter + SQLite ${fmt(share.lucia, 1)} %   ` +
      `Express and other packages ${fmt(share.express, 1)} %   Node ${fmt(share.node, 1)} %   other ${fmt(share.other, 1)} % (a diagnosis; the target is below)`,
  );
  console.log("   differential profile against the hand-written routes (same load, warm-up included):");
  console.log(`${diffPerLogin(ours, profiled.ours.logins, other, profiled.handwritten.logins).join("\n")}\n`);
  // What matters to a user is the server's CPU per login against the hand-written routes, which row
  // 2's alternating pairs measure (from /proc) with their noise; the profile is the diagnosis.
  const cpu = spread(loopbackCpuRatios);
  console.log(
    `   server CPU per login (row 2's pairs): hand-written / ours ${fmt(cpu.median, 2)}× ± ${fmt(cpu.noise, 2)} (half the interquartile range); target: ours no more, within that noise\n`,
  );
  bench.figures.push({
    row: "6",
    comparison:
      "server CPU per login against the hand-written routes (row 2's pairs), with the profile (`--profile`)",
    ours: `${fmt(perLogin(ours, profiled.ours.logins))} µs of CPU per login in the profile; this package ${fmt(share.package, 1)} % of samples`,
    other: `hand-written routes: ${fmt(perLogin(other, profiled.handwritten.logins))} µs per login; in ours, @lucia-auth/oauth ${fmt(share.provider, 1)} %, Node's fetch ${fmt(share.fetch, 1)} %, Lucia + adapter + SQLite ${fmt(share.lucia, 1)} %, Express and other packages ${fmt(share.express, 1)} %, Node ${fmt(share.node, 1)} %`,
    ratio: `${fmt(cpu.median, 2)}× ± ${fmt(cpu.noise, 2)} (hand-written / ours, median of row 2's pairs ± half their IQR)`,
    target: "ours ≤ hand-written, within the noise",
    holds: holds(cpu.median + cpu.noise >= 1),
    raw: {
      ...share,
      cpuRatio: cpu.median,
      cpuNoise: cpu.noise,
      oursMicrosPerLogin: perLogin(ours, profiled.ours.logins),
      handwrittenMicrosPerLogin: perLogin(other, profiled.handwritten.logins),
    },
  });
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
}
