import { readFileSync } from "node:fs";
import { spawn, type ChildProcess } from "node:child_process";
import { createServer } from "node:net";
import { fileURLToPath } from "node:url";

export const ROOT = fileURLToPath(new URL("../../", import.meta.url));

/** A spawned process (in its own process group) and what it printed. */
export interface Spawned {
  readonly child: ChildProcess;
  output(): string;
  /** SIGTERM to the whole group; resolves with the exit code, or the signal's name. */
  stop(): Promise<number | string | null>;
}

/**
 * Spawns a command and waits until its output matches `ready`. Fails with the output when it exits
 * first or takes longer than `timeoutMs`; a child that never got ready is stopped first.
 * `stopSignal` is what `stop()` sends the group (default SIGTERM; nginx stops gracefully on SIGQUIT).
 */
export async function spawnUntil(
  command: string,
  args: readonly string[],
  options: {
    env?: NodeJS.ProcessEnv;
    ready: RegExp;
    timeoutMs?: number;
    cwd?: string;
    stopSignal?: NodeJS.Signals;
  },
): Promise<Spawned> {
  const child = spawn(command, args, {
    cwd: options.cwd ?? ROOT,
    env: { ...process.env, NODE_OPTIONS: "", ...options.env },
    detached: true,
    stdio: ["ignore", "pipe", "pipe"],
  });
  let output = "";
  // 'close', not 'exit': only then has every line the child printed reached the pipe.
  const exited = new Promise<number | string | null>((resolve) =>
    child.once("close", (code, signal) => resolve(code ?? signal)),
  );
  const stop = async () => {
    if (child.exitCode === null && child.signalCode === null && child.pid) {
      try {
        process.kill(-child.pid, options.stopSignal ?? "SIGTERM");
      } catch {
        // already gone
      }
    }
    return exited;
  };
  try {
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(
        () => reject(new Error(`timed out waiting for ${options.ready}:\n${output}`)),
        options.timeoutMs ?? 30_000,
      );
      const onData = (chunk: Buffer) => {
        output += chunk.toString();
        if (options.ready.test(output)) {
          clearTimeout(timer);
          resolve();
        }
      };
      child.stdout?.on("data", onData);
      child.stderr?.on("data", onData);
      void exited.then((code) => {
        clearTimeout(timer);
        reject(new Error(`${command} exited (${code}) before it was ready:\n${output}`));
      });
    });
  } catch (err) {
    await stop();
    throw err;
  }
  return { child, output: () => output, stop };
}

/** Starts the example server the way the README does (`npm start`), on `port`. */
export function startExample(port: number, env: NodeJS.ProcessEnv = {}): Promise<Spawned> {
  return spawnUntil("npm", ["start"], {
    env: { PORT: String(port), FAKE_BITBUCKET_PORT: "0", NODE_ENV: "development", ...env },
    ready: /example server on http/,
  });
}

/** The fake Bitbucket's (or fake Data Center's) origin, as the example server printed it. */
export function fakeUrlFrom(output: string): string {
  // The fake Data Center is served under /bitbucket; its controls, like the Cloud fake's, at the origin.
  const match = /fake Bitbucket (?:Data Center )?at (http:\/\/[^\s)]+)/.exec(output);
  if (!match?.[1]) throw new Error(`no fake URL in:\n${output}`);
  return new URL(match[1]).origin;
}

// The ports the OS hands out itself (listen(0), outgoing connections): Linux's default range.
const EPHEMERAL_LOW = (() => {
  try {
    return Number(readFileSync("/proc/sys/net/ipv4/ip_local_port_range", "utf8").split(/\s+/)[0]) || 32768;
  } catch {
    return 32768;
  }
})();
const RESERVED_LOW = 20_000;

/** True when `port` can be bound on loopback now. */
const bindable = (port: number) =>
  new Promise<boolean>((resolve) => {
    const server = createServer();
    server.once("error", () => resolve(false));
    server.listen(port, "127.0.0.1", () => server.close(() => resolve(true)));
  });

/**
 * A free loopback port for a child that needs to know its port up front (nginx, Caddy, the
 * example server). It is taken below the OS's ephemeral range, so that between this call and the
 * child's bind no `listen(0)` or outgoing connection of this or another test can be handed it.
 */
export async function freePort(): Promise<number> {
  // A machine whose ephemeral range starts low leaves no room below it: the OS's pick, then.
  if (EPHEMERAL_LOW - RESERVED_LOW < 1000) return osPort();
  for (let attempt = 0; attempt < 100; attempt++) {
    const port = RESERVED_LOW + Math.floor(Math.random() * (EPHEMERAL_LOW - RESERVED_LOW));
    if (await bindable(port)) return port;
  }
  throw new Error(`no free port between ${RESERVED_LOW} and ${EPHEMERAL_LOW}`);
}

/** A port the OS just handed out on loopback. */
function osPort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer().listen(0, "127.0.0.1", () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
    server.once("error", reject);
  });
}
