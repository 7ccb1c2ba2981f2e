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
