import type { Bench } from "../harness/context.js";
import { PENDING } from "../harness/config.js";
import autocannon from "autocannon";
import { memory, startServer, stop } from "../harness/servers.js";
import { fmt, holds, mb, signedMB } from "../harness/stats.js";

// 4. Memory held by logins that never finish. Two batches of PENDING starts: the first may include
// growth a process shows once (compiled code, the allocator's pools); what is held per login grows
// again over the second, so the second batch is the figure. The heap in use is printed beside RSS:
// what the process holds, whatever the allocator keeps.
export async function pendingMemoryRow(bench: Bench): Promise<void> {
  const rows: string[] = [];
  const growth: Record<string, { first: number; second: number; heapFirst: number; heapSecond: number }> = {};
  for (const [name, path] of [
    ["ours", "/login/bitbucket"],
    ["passport", "/auth/bitbucket"],
  ] as const) {
    const server = await startServer(name, bench.fakes);
    await autocannon({ url: server.url + path, connections: 32, amount: 2_000 });
    const before = await memory(server);
    await autocannon({ url: server.url + path, connections: 32, amount: PENDING });
    const middle = await memory(server);
    await autocannon({ url: server.url + path, connections: 32, amount: PENDING });
    const after = await memory(server);
    growth[name] = {
      first: mb(middle.rss - before.rss),
      second: mb(after.rss - middle.rss),
      heapFirst: mb(middle.heapUsed - before.heapUsed),
      heapSecond: mb(after.heapUsed - middle.heapUsed),
    };
    const { first, second, heapFirst, heapSecond } = growth[name];
    rows.push(
      `   ${name === "ours" ? "express-lucia-bitbucket" : "passport + MemoryStore"}: RSS ${fmt(mb(before.rss), 1)} MB → ${fmt(mb(middle.rss), 1)} MB (${signedMB(first)}) → ${fmt(mb(after.rss), 1)} MB (${signedMB(second)}); ` +
        `heap in use ${signedMB(heapFirst)}, then ${signedMB(heapSecond)}`,
    );
    await stop(server);
  }
  console.log(
    `4. RSS after ${fmt(PENDING)} and another ${fmt(PENDING)} login starts that never finish (after full GCs; target: ours within 5 MB over the second batch)`,
  );
  console.log(rows.join("\n"));
  const none = { first: NaN, second: NaN, heapFirst: NaN, heapSecond: NaN };
  const ours = growth.ours ?? none;
  const passport = growth.passport ?? none;
  bench.figures.push({
    row: "4",
    comparison: `RSS after ${fmt(PENDING)} login starts that never finish, then another ${fmt(PENDING)}`,
    ours: `${signedMB(ours.second)} over the second batch (the first batch: ${signedMB(ours.first)}); heap in use ${signedMB(ours.heapSecond)}`,
    other: `passport + MemoryStore: ${signedMB(passport.second)} over the second (the first: ${signedMB(passport.first)}); heap in use ${signedMB(passport.heapSecond)}`,
    ratio: "flat vs growing",
    target: "within 5 MB over the second batch",
    // The target bounds growth: RSS that falls (the allocator giving pages back) holds nothing.
    holds: holds(ours.second <= 5),
    raw: {
      ours: ours.second,
      oursFirst: ours.first,
      oursHeap: ours.heapSecond,
      oursHeapFirst: ours.heapFirst,
      passport: passport.second,
      passportFirst: passport.first,
      passportHeap: passport.heapSecond,
    },
  });
}
