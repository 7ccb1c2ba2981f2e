import { spawn, type ChildProcess } from "node:child_process";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import autocannon from "autocannon";
import { dir } from "./config.js";

export interface Running {
  url: string;
  child: ChildProcess;
}

export type Contender = "ours" | "ours+allow" | "handwritten" | "passport" | "dc" | "dc+allow";
export type Variant = "bare" | Contender | "ours+guard" | "ours+allow+email" | "ours+forward";

/** Where the servers' Bitbucket calls go: the fake Cloud, and the fake Data Center's `serverUrl`. */
export interface Fakes {
  readonly cloudUrl: string;
  readonly dataCenterUrl: string;
}

/** The ports the run's servers take, one each: the fakes register their callbacks. */
export const PORTS = { first: 4700, count: 300 } as const;
let nextPort: number = PORTS.first;
/** A port for the next server: one apart from every other of the run. */
export const takePort = () => {
  if (nextPort >= PORTS.first + PORTS.count) throw new Error("bench: more servers than PORTS registers");
  return nextPort++;
};

/** Starts one server of `bench/servers/` as its own process, and waits until it says it is ready. */
export async function startServer(name: Variant, fakes: Fakes, nodeArgs: string[] = []): Promise<Running> {
  const port = takePort();
  const fakeUrl = fakes.cloudUrl;
  const file = name.startsWith("ours") || name.startsWith("dc") ? "ours" : name;
  const child = spawn(
    process.execPath,
    ["--expose-gc", ...nodeArgs, "--import", "tsx", `bench/servers/${file}.ts`],
    {
      env: {
        ...process.env,
        PORT: String(port),
        FAKE_URL: fakeUrl,
        DATABASE_PATH: join(dir, `${file}-${port}.sqlite`),
        ALLOW_WORKSPACES: ["ours+allow", "ours+guard", "ours+allow+email", "ours+forward"].includes(name)
          ? "fake-team"
          : "",
        FETCH_EMAIL: name === "ours+allow+email" ? "1" : "",
        GUARD: name === "ours+guard" ? "1" : "",
        FORWARD_AUTH: name === "ours+forward" ? "1" : "",
        SERVER_URL: name.startsWith("dc") ? fakes.dataCenterUrl : "",
        ALLOW_PROJECTS: name === "dc+allow" ? "ENG" : "",
        // The package as users run it: dist, through its exports (see bench/tsconfig.json).
        TSX_TSCONFIG_PATH: "bench/tsconfig.json",
        NODE_OPTIONS: "",
      },
      stdio: ["ignore", "pipe", "inherit"],
    },
  );
  await new Promise<void>((resolve, reject) => {
    child.stdout?.on("data", (chunk: Buffer) => chunk.toString().includes("ready") && resolve());
    child.once("exit", (code) => reject(new Error(`${name} exited with ${code}`)));
  });
  return { url: `http://127.0.0.1:${port}`, child };
}

/**
 * CPU time the server's process has used so far, in microseconds (user + system, every thread),
 * from /proc; NaN where there is none. Its clock ticks are 10 ms (USER_HZ is 100 on Linux), under
 * 1 % of a turn's CPU.
 */
export function cpuMicros(server: Running): number {
  try {
    const fields = readFileSync(`/proc/${server.child.pid}/stat`, "utf8").split(") ")[1]?.split(" ") ?? [];
    return (Number(fields[11]) + Number(fields[12])) * 10_000;
  } catch {
    return NaN;
  }
}

export async function stop(server: Running) {
  server.child.kill("SIGTERM");
  await new Promise((resolve) => server.child.once("exit", resolve));
}

export async function rps(server: Running, path: string, seconds: number): Promise<number> {
  const result = await autocannon({ url: server.url + path, connections: 32, duration: seconds });
  if (result.errors > 0 || result["2xx"] > 0) throw new Error(`unexpected answers on ${path}`);
  return result.requests.average;
}

/** The server's RSS and JavaScript heap in use, in bytes, after full collections. */
export async function memory(server: Running): Promise<{ rss: number; heapUsed: number }> {
  const res = await fetch(`${server.url}/__rss`);
  return (await res.json()) as { rss: number; heapUsed: number };
}
