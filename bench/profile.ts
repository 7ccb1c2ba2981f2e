import { readFileSync } from "node:fs";

interface CpuProfile {
  nodes: { id: number; callFrame: { url: string; functionName: string } }[];
  samples: number[];
}

/** Where a sample's own time goes, by the file its function lives in. */
export type Share = Record<"package" | "provider" | "fetch" | "lucia" | "express" | "node" | "other", number>;

function categoryOf(url: string, functionName: string): keyof Share | "idle" {
  if (functionName === "(idle)") return "idle";
  if (url.includes("/node_modules/@lucia-auth/oauth/")) return "provider";
  // Node's fetch (undici), which the provider makes its two calls with.
  if (url.includes("undici")) return "fetch";
  if (/\/node_modules\/(lucia|@lucia-auth\/adapter-[^/]+|better-sqlite3)\//.test(url)) return "lucia";
  if (url.includes("/node_modules/")) return "express";
  // This package, however the bench server resolved it (src through tsx's paths, or dist).
  if (/\/(src|dist)\/[^/]+(\/[^/]+)?\.(ts|js)$/.test(url) && !url.includes("/bench/")) return "package";
  if (url === "" || url.startsWith("node:")) return "node";
  return "other";
}

/** Shares of the non-idle samples of a `.cpuprofile`, in percent. */
export function shareOf(file: string): Share {
  const profile = JSON.parse(readFileSync(file, "utf8")) as CpuProfile;
  const byNode = new Map(
    profile.nodes.map((n) => [n.id, categoryOf(n.callFrame.url, n.callFrame.functionName)]),
  );
  const counts: Share = { package: 0, provider: 0, fetch: 0, lucia: 0, express: 0, node: 0, other: 0 };
  let total = 0;
  for (const id of profile.samples) {
    const category = byNode.get(id) ?? "node";
    if (category === "idle") continue;
    counts[category]++;
    total++;
  }
  for (const key of Object.keys(counts) as (keyof Share)[])
    counts[key] = (100 * counts[key]) / Math.max(total, 1);
  return counts;
}

interface TimedProfile extends CpuProfile {
  nodes: { id: number; callFrame: { url: string; functionName: string; lineNumber: number } }[];
  timeDeltas: number[];
}

/** Where CPU time went: microseconds of own (self) time, by package and by function of ours. */
export interface Costs {
  readonly byCategory: Readonly<Record<string, number>>;
  /** `file:function@line` of this package (src or dist), and `package` for everything else. */
  readonly byFunction: Readonly<Record<string, number>>;
  /** The part of `byFunction` that is this package's own functions. */
  readonly ownFunctions: Readonly<Record<string, number>>;
  readonly total: number;
}

/** Self time of every sample of a `.cpuprofile`, in microseconds, grouped two ways. */
export function costsOf(file: string): Costs {
  const profile = JSON.parse(readFileSync(file, "utf8")) as TimedProfile;
  const byNode = new Map(profile.nodes.map((n) => [n.id, n.callFrame]));
  const byCategory: Record<string, number> = {};
  const byFunction: Record<string, number> = {};
  const ownFunctions: Record<string, number> = {};
  let total = 0;
  profile.samples.forEach((id, i) => {
    const frame = byNode.get(id);
    // The delta before sample i is the time it stands for (the first one's is the start-up gap).
    const us = i === 0 ? 0 : (profile.timeDeltas[i] ?? 0);
    if (!frame || frame.functionName === "(idle)") return;
    const category = categoryOf(frame.url, frame.functionName);
    if (category === "idle") return;
    total += us;
    byCategory[category] = (byCategory[category] ?? 0) + us;
    const pkg = /\/node_modules\/((?:@[^/]+\/)?[^/]+)\//.exec(frame.url)?.[1];
    const ours = category === "package" ? /\/(?:src|dist)\/(.+)\.(?:ts|js)$/.exec(frame.url)?.[1] : undefined;
    const key = ours
      ? `${ours}:${frame.functionName || "(anonymous)"}@${frame.lineNumber}`
      : (pkg ?? (frame.url.startsWith("node:") ? frame.url : frame.functionName || "(native)"));
    byFunction[key] = (byFunction[key] ?? 0) + us;
    if (ours) ownFunctions[key] = (ownFunctions[key] ?? 0) + us;
  });
  return { byCategory, byFunction, ownFunctions, total };
}

/**
 * The differential profile: CPU microseconds per login of two servers under the same load, side
 * by side, largest difference first. `a` is ours; a positive difference is what ours spends more.
 */
export function diffPerLogin(a: Costs, aLogins: number, b: Costs, bLogins: number, top = 15): string[] {
  const per = (c: Readonly<Record<string, number>>, n: number, k: string) => (c[k] ?? 0) / Math.max(n, 1);
  const rows = (x: Readonly<Record<string, number>>, y: Readonly<Record<string, number>>) =>
    [...new Set([...Object.keys(x), ...Object.keys(y)])]
      .map((k) => [k, per(x, aLogins, k), per(y, bLogins, k)] as const)
      .sort((p, q) => Math.abs(q[1] - q[2]) - Math.abs(p[1] - p[2]))
      .slice(0, top)
      .map(
        ([k, ours, other]) =>
          `     ${(ours - other >= 0 ? "+" : "") + (ours - other).toFixed(0)} µs`.padEnd(16) +
          `${k} (${ours.toFixed(0)} vs ${other.toFixed(0)})`,
      );
  // The other server has none of our functions: ours alone, largest first, by file and function.
  const ownRows = Object.entries(a.ownFunctions)
    .map(([k, us]) => [k, us / Math.max(aLogins, 1)] as const)
    .sort((p, q) => q[1] - p[1])
    .slice(0, top)
    .map(([k, us]) => `     ${us.toFixed(1)} µs`.padEnd(16) + k);
  return [
    `   CPU per login: ours ${(a.total / Math.max(aLogins, 1)).toFixed(0)} µs, the other ${(b.total / Math.max(bLogins, 1)).toFixed(0)} µs`,
    "   by category (µs per login, ours minus the other):",
    ...rows(a.byCategory, b.byCategory),
    "   by function or package:",
    ...rows(a.byFunction, b.byFunction),
    "   this package's own functions (self µs per login):",
    ...ownRows,
  ];
}
