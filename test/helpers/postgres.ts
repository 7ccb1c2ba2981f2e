import { execFile, execFileSync } from "node:child_process";
import { chmodSync, chownSync, existsSync, mkdtempSync, readdirSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import pg from "pg";
import { freePort } from "./processes.js";

/**
 * Where PostgreSQL's server binaries are: on PATH, or (as on plain Debian, where they are not on
 * PATH) the newest /usr/lib/postgresql/<version>/bin. `null` when there are none.
 */
export function postgresBin(): string | null {
  try {
    const initdb = execFileSync("sh", ["-c", "command -v initdb && command -v pg_ctl >/dev/null"], {
      encoding: "utf8",
    }).trim();
    return dirname(initdb);
  } catch {
    const root = "/usr/lib/postgresql";
    const versions = existsSync(root)
      ? readdirSync(root)
          .filter((v) => existsSync(join(root, v, "bin", "initdb")))
          .sort((a, b) => Number(b) - Number(a))
      : [];
    return versions[0] ? join(root, versions[0], "bin") : null;
  }
}

/** Whether PostgreSQL's server binaries can be found (see {@link postgresBin}). */
export function hasPostgres(): boolean {
  return postgresBin() !== null;
}

export interface ThrowawayPostgres {
  /** A URL for a brand-new, empty database on this server. */
  newDatabase(): Promise<string>;
  /** `pg_ctl restart -m fast`: every connection is cut; resolves once the server is back. */
  restartAsync(): Promise<void>;
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
  const bin = postgresBin() ?? "";
  const run = (name: string, args: string[]) => {
    const command = join(bin, name);
    return execFileSync(
      asRoot ? "runuser" : command,
      asRoot ? ["-u", "postgres", "--", command, ...args] : args,
      {
        stdio: "pipe",
      },
    );
  };
  const data = join(dir, "data");
  run("initdb", ["-D", data, "-U", "postgres", "--auth=trust", "-E", "UTF8", "--no-sync"]);
  // The OS's free port can be taken by someone else before PostgreSQL binds it: try a few.
  let port = 0;
  for (let attempt = 1; ; attempt++) {
    port = await freePort();
    try {
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
      break;
    } catch (err) {
      if (attempt >= 3) throw err;
    }
  }
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
    restartAsync: () =>
      new Promise<void>((resolve, reject) => {
        const command = join(bin, "pg_ctl");
        const args = ["-D", data, "-l", join(dir, "log"), "-m", "fast", "-w", "restart"];
        execFile(
          asRoot ? "runuser" : command,
          asRoot ? ["-u", "postgres", "--", command, ...args] : args,
          (err) => (err ? reject(err) : resolve()),
        );
      }),
    stop: () => {
      try {
        run("pg_ctl", ["-D", data, "-m", "immediate", "-w", "stop"]);
      } finally {
        rmSync(dir, { recursive: true, force: true });
      }
    },
  };
}
