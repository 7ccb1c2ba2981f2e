import { spawn, type ChildProcess } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { cpus, tmpdir, totalmem } from "node:os";
import { join } from "node:path";
import autocannon from "autocannon";
import { startFakeBitbucket } from "express-lucia-bitbucket/testing";
import { loginLoad } from "./login-load.js";

// `npm run bench` compares side by side in one run; `npm run bench -- --smoke` is CI's short run.
const smoke = process.argv.includes("--smoke");
const ROUNDS = smoke ? 1 : 6;
const START_SECONDS = smoke ? 1 : 3;
const LOGIN_SECONDS = smoke ? 1 : 5;
const PENDING = smoke ? 2_000 : 100_000;
const dir = mkdtempSync(join(tmpdir(), "elb-bench-"));

interface Running {
  url: string;
  child: ChildProcess;
}

async function startServer(
  name: "bare" | "ours" | "passport",
  fakeUrl: string,
  port: number,
): Promise<Running> {
  const child = spawn(process.execPath, ["--expose-gc", "--import", "tsx", `bench/servers/${name}.ts`], {
    env: {
      ...process.env,
      PORT: String(port),
      FAKE_URL: fakeUrl,
      DATABASE_PATH: join(dir, `${name}-${port}.sqlite`),
      NODE_OPTIONS: "",
    },
    stdio: ["ignore", "pipe", "inherit"],
  });
  await new Promise<void>((resolve, reject) => {
    child.stdout?.on("data", (chunk: Buffer) => chunk.toString().includes("ready") && resolve());
    child.once("exit", (code) => reject(new Error(`${name} exited with ${code}`)));
  });
  return { url: `http://127.0.0.1:${port}`, child };
}

async function stop(server: Running) {
  server.child.kill("SIGTERM");
  await new Promise((resolve) => server.child.once("exit", resolve));
}

const median = (values: number[]) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)] ?? NaN;
const fmt = (n: number, digits = 0) =>
  n.toLocaleString("en-US", { maximumFractionDigits: digits, minimumFractionDigits: digits });
let port = 4700;

async function rps(server: Running, path: string, seconds: number): Promise<number> {
  const result = await autocannon({ url: server.url + path, connections: 32, duration: seconds });
  if (result.errors > 0 || result["2xx"] > 0) throw new Error(`unexpected answers on ${path}`);
  return result.requests.average;
}

async function rss(server: Running): Promise<number> {
  const res = await fetch(`${server.url}/__rss`);
  return ((await res.json()) as { rss: number }).rss;
}

const fake = await startFakeBitbucket({ port: 0 });
console.log(
  `machine: ${cpus().length} × ${cpus()[0]?.model ?? "cpu"}, ${fmt(totalmem() / 2 ** 30)} GiB, Node ${process.version}`,
);
console.log(
  `mode: ${smoke ? "smoke (short)" : "full"}; both contenders stay up and take ${ROUNDS} turns each; medians reported\n`,
);

// 1. Start of login against the limit (a bare route with one signed cookie and a 302).
{
  const bare: number[] = [];
  const ours: number[] = [];
  for (let round = 0; round < ROUNDS; round++) {
    for (const [name, into] of [
      ["bare", bare],
      ["ours", ours],
    ] as const) {
      const server = await startServer(name, fake.url, port++);
      await rps(server, "/login/bitbucket", 1); // warm-up
      into.push(await rps(server, "/login/bitbucket", START_SECONDS));
      await stop(server);
    }
  }
  console.log("1. GET /login/bitbucket (requests/s, autocannon, 32 connections)");
  console.log(
    `   bare Express route: ${fmt(median(bare))}   express-lucia-bitbucket: ${fmt(median(ours))}   ratio ${fmt(median(ours) / median(bare), 2)}× (target ≥ 0.90×)\n`,
  );
}

// 2. Whole login: start → authorize → callback → session.
{
  const results: Record<"ours" | "passport", Awaited<ReturnType<typeof loginLoad>>[]> = {
    ours: [],
    passport: [],
  };
  const paths = {
    ours: { start: "/login/bitbucket", sessionCookie: "auth_session" },
    passport: { start: "/auth/bitbucket", sessionCookie: "connect.sid" },
  };
  const servers = {
    ours: await startServer("ours", fake.url, port++),
    passport: await startServer("passport", fake.url, port++),
  };
  for (const name of ["ours", "passport"] as const)
    await loginLoad(servers[name].url, paths[name], fake.url, 2, 8); // warm-up
  for (let round = 0; round < ROUNDS; round++) {
    for (const name of ["ours", "passport"] as const) {
      results[name].push(await loginLoad(servers[name].url, paths[name], fake.url, LOGIN_SECONDS, 16));
    }
  }
  await Promise.all(Object.values(servers).map(stop));
  const summary = (name: "ours" | "passport") => ({
    lps: median(results[name].map((r) => r.loginsPerSecond)),
    p50: median(results[name].map((r) => r.p50)),
    p99: median(results[name].map((r) => r.p99)),
    failures: results[name].reduce((n, r) => n + r.failures, 0),
  });
  const ours = summary("ours");
  const passport = summary("passport");
  console.log("2. Whole login (logins/s, 16 concurrent browsers, same fake Bitbucket, SQLite users)");
  for (const [name, s] of [
    ["express-lucia-bitbucket", ours],
    ["passport-bitbucket-oauth2", passport],
  ] as const) {
    console.log(
      `   ${name.padEnd(26)} ${fmt(s.lps).padStart(6)} logins/s   p50 ${fmt(s.p50, 1)} ms   p99 ${fmt(s.p99, 1)} ms   failures ${s.failures}`,
    );
  }
  console.log(`   ratio ${fmt(ours.lps / passport.lps, 2)}× passport's throughput (target ≥ 1.00×)\n`);
  if (ours.failures > 0 || passport.failures > 0) process.exitCode = 1;
}

// 3. Memory held by logins that never finish.
{
  const rows: string[] = [];
  for (const [name, path] of [
    ["ours", "/login/bitbucket"],
    ["passport", "/auth/bitbucket"],
  ] as const) {
    const server = await startServer(name, fake.url, port++);
    await autocannon({ url: server.url + path, connections: 32, amount: 2_000 });
    const before = await rss(server);
    await autocannon({ url: server.url + path, connections: 32, amount: PENDING });
    const after = await rss(server);
    rows.push(
      `   ${name === "ours" ? "express-lucia-bitbucket" : "passport + MemoryStore"}: ${fmt(before / 2 ** 20, 1)} MB → ${fmt(after / 2 ** 20, 1)} MB (${after >= before ? "+" : ""}${fmt((after - before) / 2 ** 20, 1)} MB)`,
    );
    await stop(server);
  }
  console.log(
    `3. RSS after ${fmt(PENDING)} login starts that never finish (after a GC; target: ours within 5 MB)`,
  );
  console.log(rows.join("\n"));
}

await fake.close();
rmSync(dir, { recursive: true, force: true });
