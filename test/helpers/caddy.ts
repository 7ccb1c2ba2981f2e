import { spawn } from "node:child_process";
import { existsSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

export const CADDY = process.env.CADDY_PATH ?? "/usr/bin/caddy";
export const hasCaddy = existsSync(CADDY);

/** A real Caddy, run by the test (not as a system service), with the test's Caddyfile. */
export interface Caddy {
  close(): Promise<void>;
}

/**
 * Starts Debian's Caddy in the foreground with `caddyfile`, keeping its data and config in a
 * temporary directory. Resolves once Caddy says it serves the configuration (its listeners are
 * open by then); fails with Caddy's own output when the file is refused.
 */
export async function startCaddy(caddyfile: string): Promise<Caddy> {
  const dir = mkdtempSync(join(tmpdir(), "elb-caddy-"));
  const file = join(dir, "Caddyfile");
  writeFileSync(file, caddyfile);
  const child = spawn(CADDY, ["run", "--config", file, "--adapter", "caddyfile"], {
    detached: true,
    stdio: ["ignore", "ignore", "pipe"],
    env: {
      ...process.env,
      HOME: dir,
      XDG_DATA_HOME: join(dir, "data"),
      XDG_CONFIG_HOME: join(dir, "config"),
    },
  });
  let output = "";
  child.stderr.on("data", (c: Buffer) => (output += c.toString()));
  const exited = new Promise<void>((resolve) => child.once("close", () => resolve()));
  const close = async () => {
    if (child.exitCode === null && child.signalCode === null && child.pid) {
      try {
        process.kill(-child.pid, "SIGTERM");
      } catch {
        // already gone
      }
    }
    await exited;
    rmSync(dir, { recursive: true, force: true });
  };
  const started = await new Promise<boolean>((resolve) => {
    const timer = setTimeout(() => resolve(false), 30_000);
    child.stderr.on("data", () => {
      if (/serving initial configuration/.test(output)) {
        clearTimeout(timer);
        resolve(true);
      }
    });
    void exited.then(() => {
      clearTimeout(timer);
      resolve(false);
    });
  });
  if (!started) {
    await close();
    throw new Error(`caddy did not start: ${output}`);
  }
  return { close };
}
