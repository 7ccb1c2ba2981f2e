import { spawn, type ChildProcess } from "node:child_process";
import http from "node:http";
import pg from "pg";
import { ERROR_STATUS } from "express-lucia-bitbucket";
import { DEFAULT_FAKE_WORKSPACE, startFakeBitbucket } from "express-lucia-bitbucket/testing";
import { openDatabase } from "../../example-server/database.js";
import { startPostgres } from "../../test/helpers/postgres.js";
import { freePort } from "../../test/helpers/processes.js";
import { currentCommit, describeMachine } from "../results.js";
import { startChaos } from "./chaos.js";
import { SOAK, writeSoak, type SoakResults } from "./results.js";

// `npm run soak` (5 minutes; `-- --minutes N`, `-- --share 0.1`): two app instances on one
// PostgreSQL, with the guard and the sealed token store, under a steady load of logins, returning
// users, guarded requests and refreshes, while the fake Bitbucket fails a share of the requests and
// PostgreSQL restarts once. Everything is on 127.0.0.1, bounded in time, and stops by itself.
const arg = (name: string, fallback: number) => {
  const found =
    process.argv.find((a) => a.startsWith(`--${name}=`)) ??
    process.argv[process.argv.indexOf(`--${name}`) + 1];
  const value = found?.startsWith(`--${name}=`) ? found.slice(name.length + 3) : found;
  const n = Number(value);
  return value !== undefined && !value.startsWith("--") && Number.isFinite(n) && n > 0 ? n : fallback;
};
const MINUTES = arg("minutes", 5);
const SHARE = arg("share", 0.05);
const RUN_MS = MINUTES * 60_000;
const USERS = 20;
const BROWSERS = 8;
const REMOVED = 2;
const INTERVAL_MS = 2000;
const MAX_STALE_MS = 4000;
const TIMEOUT_MS = 2000;
// A removed user is refused by then at the latest: a check in flight at the removal may end up to
// `timeout` later and hold for another interval, or an outage may keep the session to `maxStale`.
const REVOKE_BOUND_MS = Math.max(TIMEOUT_MS + INTERVAL_MS, TIMEOUT_MS + MAX_STALE_MS) + 1000;
// The heap in use at the end (after full collections) at most this far above the first sample
// taken after the warm-up (a fifth of the run).
const HEAP_BOUND_MB = 32;

const postgres = await startPostgres();
const databaseUrl = await postgres.newDatabase();
const users = Array.from({ length: USERS }, (_, i) => ({
  uuid: `{50a50a50-0000-4000-8000-${String(i).padStart(12, "0")}}`,
  nickname: `soak${i}`,
  display_name: `Soak User ${i}`,
  workspaces: { "fake-team": "member" as const },
}));
// Short-lived access tokens: the guard refreshes every ~15 s (it refreshes 30 s before expiry).
// The instances' callbacks on 127.0.0.1, registered as a prefix, as a Bitbucket consumer takes it.
const fake = await startFakeBitbucket({
  users,
  workspaces: [DEFAULT_FAKE_WORKSPACE],
  accessTokenTtl: 45,
  callbackUrl: "http://127.0.0.1:",
});
const chaos = await startChaos(fake.url, SHARE);

interface Instance {
  readonly url: string;
  readonly child: ChildProcess;
  readonly samples: { at: number; rss: number; heapUsed: number }[];
}
async function startInstance(): Promise<Instance> {
  const port = await freePort();
  const child = spawn(process.execPath, ["--expose-gc", "--import", "tsx", "bench/soak/app.ts"], {
    env: {
      ...process.env,
      PORT: String(port),
      FAKE_URL: chaos.url,
      DATABASE_URL: databaseUrl,
      INTERVAL_MS: String(INTERVAL_MS),
      MAX_STALE_MS: String(MAX_STALE_MS),
      TSX_TSCONFIG_PATH: "bench/tsconfig.json",
      NODE_OPTIONS: "",
    },
    stdio: ["ignore", "pipe", "inherit"],
  });
  await new Promise<void>((resolve, reject) => {
    child.stdout?.on("data", (chunk: Buffer) => chunk.toString().includes("ready") && resolve());
    child.once("exit", (code) => reject(new Error(`a soak instance exited with ${code}`)));
  });
  child.on("exit", (code, signal) => {
    if (!stopping) failures.push(`an instance exited during the run (${code ?? signal})`);
  });
  return { url: `http://127.0.0.1:${port}`, child, samples: [] };
}

const agent = new http.Agent({ keepAlive: true, maxSockets: 64 });
interface Answer {
  status: number;
  location: string;
  cookies: string[];
  code: string;
}
/** One GET; the body's `error` field, when JSON, is the answer's code. A network error is status 0. */
function get(url: string, cookie = ""): Promise<Answer> {
  return new Promise((resolve) => {
    const req = http.get(url, { agent, headers: cookie ? { cookie } : {}, timeout: 10_000 }, (res) => {
      let body = "";
      res.setEncoding("utf8");
      res.on("data", (c: string) => (body += c));
      res.on("end", () => {
        let code = "";
        try {
          code = String((JSON.parse(body) as { error?: unknown }).error ?? "");
        } catch {
          // Not JSON: no code.
        }
        resolve({
          status: res.statusCode ?? 0,
          location: res.headers.location ?? "",
          cookies: res.headers["set-cookie"] ?? [],
          code,
        });
      });
      res.on("error", () => resolve({ status: 0, location: "", cookies: [], code: "NETWORK" }));
    });
    req.on("timeout", () => req.destroy());
    req.on("error", () => resolve({ status: 0, location: "", cookies: [], code: "NETWORK" }));
  });
}
const cookieOf = (a: Answer) =>
  a.cookies
    .map((l) => l.split(";")[0] ?? "")
    .filter((p) => !p.endsWith("="))
    .join("; ");

const outcomes = new Map<string, number>();
const count = (kind: string, a: Answer) => {
  const key = `${kind} ${a.status}${a.code ? ` ${a.code}` : ""}`;
  outcomes.set(key, (outcomes.get(key) ?? 0) + 1);
  // A 500 must carry one of the package's codes; anything else is a bug the run exists to find.
  if (a.status === 500 && !Object.hasOwn(ERROR_STATUS, a.code))
    failures.push(`${kind}: a 500 without a code of this package (${a.code || "no code"})`);
};
const failures: string[] = [];
let stopping = false;
const removedAt = new Map<string, number>();

// The fake's authorize approves as its default user: one authorize at a time, each as its browser.
let authorizing = Promise.resolve();
async function authorizeAs(nickname: string, url: string): Promise<Answer> {
  const turn = authorizing.then(async () => {
    fake.setDefaultUser(nickname);
    return get(url.replace("https://bitbucket.org", fake.url));
  });
  authorizing = turn.then(() => undefined);
  return turn;
}

/** A whole login as `nickname`; the cookies it leaves (the previous ones when it failed). */
async function login(instance: Instance, nickname: string, previous: string): Promise<string> {
  const start = await get(`${instance.url}/login/bitbucket`, previous);
  if (start.status !== 302) return (void count("login-start", start), previous);
  const approved = await authorizeAs(nickname, start.location);
  const back = new URL(approved.location || "http://x/");
  const done = await get(
    `${instance.url}${back.pathname}${back.search}`,
    [previous, cookieOf(start)].filter(Boolean).join("; "),
  );
  count("login", done);
  return done.status === 302 ? cookieOf(done) : previous;
}

const pick = <T>(list: readonly T[]) => list[Math.floor(Math.random() * list.length)] as T;

async function browser(instances: readonly Instance[], end: number) {
  let user = pick(users);
  let cookie = "";
  const later = () => Date.now() + 20_000 + Math.random() * 20_000;
  let returning = later();
  while (Date.now() < end) {
    const instance = pick(instances);
    // Every 20 to 40 s the same person signs in again over the session it has (a returning user),
    // or someone else signs in on this browser; in between, the guard refreshes the tokens.
    if (Date.now() > returning) {
      returning = later();
      const who = Math.random() < 0.5 ? pick(users) : user;
      const signed = await login(instance, who.nickname, cookie);
      // A failed login leaves the browser with the session it had, of the person it was.
      if (signed !== cookie) user = who;
      cookie = signed;
    } else if (!cookie) {
      user = pick(users);
      cookie = await login(instance, user.nickname, "");
    }
    if (cookie) {
      const me = await get(`${instance.url}/me`, cookie);
      count("guarded", me);
      const removed = removedAt.get(user.nickname);
      if (me.status === 200 && removed !== undefined && Date.now() > removed + REVOKE_BOUND_MS)
        failures.push(`${user.nickname} was let through ${Date.now() - removed} ms after removal`);
      if (me.status === 401) cookie = "";
    }
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

const instances = [await startInstance(), await startInstance()];
const began = Date.now();
const end = began + RUN_MS;
const sampler = setInterval(
  () => {
    for (const instance of instances)
      void fetch(`${instance.url}/__stats`)
        .then((r) => r.json() as Promise<{ rss: number; heapUsed: number }>)
        .then((s) => instance.samples.push({ at: Date.now() - began, rss: s.rss, heapUsed: s.heapUsed }))
        .catch(() => undefined);
  },
  Math.max(1000, RUN_MS / 60),
);
// Two users are removed from the workspace at 40 % of the run, PostgreSQL restarts at 50 %.
const removal = setTimeout(() => {
  for (const u of users.slice(0, REMOVED)) {
    fake.setWorkspaceRole(u.nickname, "fake-team", null);
    removedAt.set(u.nickname, Date.now());
  }
}, RUN_MS * 0.4);
let restartMs = NaN;
const restart = setTimeout(() => {
  const at = Date.now();
  void postgres.restartAsync().then(
    () => (restartMs = Date.now() - at),
    (err: unknown) => failures.push(`PostgreSQL did not restart: ${String(err)}`),
  );
}, RUN_MS * 0.5);
console.log(
  `soak: ${MINUTES} min, ${BROWSERS} browsers over ${USERS} users, 2 instances on one PostgreSQL, ${Math.round(SHARE * 100)} % of Bitbucket requests failed (500, 429, stall, reset)`,
);
await Promise.all(Array.from({ length: BROWSERS }, () => browser(instances, end)));
clearInterval(sampler);
clearTimeout(removal);
clearTimeout(restart);
if (Number.isNaN(restartMs)) failures.push("PostgreSQL was not restarted during the run");

// The end state: every instance's memory and open sockets, then the database's consistency.
const last = await Promise.all(
  instances.map(
    async (i) =>
      (await (await fetch(`${i.url}/__stats`)).json()) as { rss: number; heapUsed: number; sockets: number },
  ),
);
const db = await openDatabase({ databaseUrl });
const client = new pg.Client(databaseUrl);
await client.connect();
const one = async (sql: string) => Number((await client.query(sql)).rows[0]?.n ?? NaN);
const checks = {
  usersWithoutKey: await one(
    "SELECT count(*) AS n FROM auth_user u WHERE NOT EXISTS (SELECT 1 FROM user_key k WHERE k.user_id = u.id)",
  ),
  duplicateKeys: await one(
    "SELECT count(*) AS n FROM (SELECT id FROM user_key GROUP BY id HAVING count(*) > 1) d",
  ),
  usersPerBitbucketAccountOverOne: await one(
    "SELECT count(*) AS n FROM (SELECT id FROM user_key GROUP BY id HAVING count(DISTINCT user_id) > 1) d",
  ),
  sessionsWithoutUser: await one(
    "SELECT count(*) AS n FROM user_session s WHERE NOT EXISTS (SELECT 1 FROM auth_user u WHERE u.id = s.user_id)",
  ),
  tokenRowsThatDoNotOpen: 0,
};
const rows = (await client.query("SELECT user_id, grant_key FROM sealed_bitbucket_token")).rows as {
  user_id: string;
  grant_key: string;
}[];
for (const row of rows)
  if ((await db.tokens.get(row.user_id, row.grant_key)) === null) checks.tokenRowsThatDoNotOpen++;
const totals = { users: await one("SELECT count(*) AS n FROM auth_user"), tokenRows: rows.length };
await client.end();
await db.close();
for (const [name, n] of Object.entries(checks)) if (n !== 0) failures.push(`consistency: ${name} = ${n}`);

/** Least-squares slope of `value` against minutes, over the samples after the warm-up. */
const slope = (samples: Instance["samples"], value: (s: Instance["samples"][number]) => number) => {
  const kept = samples.filter((s) => s.at >= RUN_MS * 0.2);
  const xs = kept.map((s) => s.at / 60_000);
  const ys = kept.map((s) => value(s) / 2 ** 20);
  const mx = xs.reduce((a, b) => a + b, 0) / xs.length;
  const my = ys.reduce((a, b) => a + b, 0) / ys.length;
  const num = xs.reduce((a, x, k) => a + (x - mx) * ((ys[k] ?? 0) - my), 0);
  const den = xs.reduce((a, x) => a + (x - mx) ** 2, 0);
  return den > 0 ? num / den : NaN;
};
const memory = instances.map((instance, k) => {
  const warm = instance.samples.find((s) => s.at >= RUN_MS * 0.2) ?? instance.samples[0];
  const final = last[k] as (typeof last)[number];
  const heapGrowthMB = (final.heapUsed - (warm?.heapUsed ?? final.heapUsed)) / 2 ** 20;
  if (heapGrowthMB > HEAP_BOUND_MB)
    failures.push(
      `instance ${k + 1}: heap grew ${heapGrowthMB.toFixed(1)} MB past the warm-up (bound ${HEAP_BOUND_MB} MB)`,
    );
  return {
    rssSlopeMBPerMin: slope(instance.samples, (s) => s.rss),
    heapSlopeMBPerMin: slope(instance.samples, (s) => s.heapUsed),
    heapGrowthMB,
    rssMB: final.rss / 2 ** 20,
    openSockets: final.sockets,
  };
});

stopping = true;
for (const instance of instances) instance.child.kill("SIGTERM");
await Promise.all(instances.map((i) => new Promise((resolve) => i.child.once("exit", resolve))));
await chaos.close();
await fake.close();
agent.destroy();
postgres.stop();

const results: SoakResults = {
  machine: describeMachine(),
  node: process.version,
  commit: currentCommit(),
  date: new Date().toISOString().slice(0, 10),
  minutes: MINUTES,
  share: SHARE,
  bounds: { revokeMs: REVOKE_BOUND_MS, heapMB: HEAP_BOUND_MB },
  outcomes: Object.fromEntries([...outcomes].sort(([a], [b]) => a.localeCompare(b))),
  chaos: { ...chaos.counts },
  postgresRestartMs: restartMs,
  removedUsers: REMOVED,
  checks,
  totals,
  memory,
  failures: [...new Set(failures)],
};
console.log(JSON.stringify(results, null, 2));
// Only a run of the default length or longer replaces the kept one; CI's short run goes beside it.
const file = MINUTES >= 5 ? SOAK : "bench/results/soak-short.json";
writeSoak(file, results);
console.log(
  `soak results written to ${file}${results.failures.length ? `; FAILED: ${results.failures.length} failure(s)` : "; passed"}`,
);
if (results.failures.length > 0) process.exitCode = 1;
