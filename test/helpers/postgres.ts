import { execFileSync } from "node:child_process";
import { chmodSync, chownSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import pg from "pg";
import { freePort } from "./processes.js";

/** Whether PostgreSQL's server binaries are on PATH. */
export function hasPostgres(): boolean {
  try {
    execFileSync("sh", ["-c", "command -v initdb && command -v pg_ctl"], { stdio: "ignore" });
    return true;
  } catch {
    return false;
  }
}

export interface ThrowawayPostgres {
  /** A URL for a brand-new, empty database on this server. */
  newDatabase(): Promise<string>;
  stop(): void;
}

/**
 * A real PostgreSQL in a temporary directory on a loopback port, with `initdb` and `pg_ctl`. As
 * root it runs as the `postgres` user, because PostgreSQL refuses to run as root.
 */
export async function startPostgres(): Promise<ThrowawayPostgres> {
  const dir = mkdtempSync(join(tmpdir(), "elb-pg-"));
  const asRoot = process.getuid?.() === 0;
  if (asRoot) {
    const { uid, gid } = JSON.parse(
      execFileSync("sh", ["-c", 'echo {\\"uid\\":$(id -u postgres),\\"gid\\":$(id -g postgres)}']).toString(),
    );
    chownSync(dir, uid, gid);
  }
  chmodSync(dir, 0o700);
  const run = (command: string, args: string[]) =>
    execFileSync(asRoot ? "runuser" : command, asRoot ? ["-u", "postgres", "--", command, ...args] : args, {
      stdio: "pipe",
    });
  const data = join(dir, "data");
  const port = await freePort();
  run("initdb", ["-D", data, "-U", "postgres", "--auth=trust", "-E", "UTF8", "--no-sync"]);
  run("pg_ctl", [
    "-D",
    data,
    "-l",
    join(dir, "log"),
    "-w",
    "-o",
    `-p ${port} -k ${dir} -c listen_addresses=127.0.0.1 -c fsync=off -c max_connections=200`,
    "start",
  ]);
  const admin = `postgres://postgres@127.0.0.1:${port}/postgres`;
  let n = 0;
  return {
    newDatabase: async () => {
      const name = `elb_${process.pid}_${++n}`;
      const client = new pg.Client(admin);
      await client.connect();
      await client.query(`CREATE DATABASE ${name}`);
      await client.end();
      return `postgres://postgres@127.0.0.1:${port}/${name}`;
    },
    stop: () => {
      try {
        run("pg_ctl", ["-D", data, "-m", "immediate", "-w", "stop"]);
      } finally {
        rmSync(dir, { recursive: true, force: true });
      }
    },
  };
}
