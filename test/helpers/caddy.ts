import { existsSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { spawnUntil } from "./processes.js";

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
  try {
    const caddy = await spawnUntil(CADDY, ["run", "--config", file, "--adapter", "caddyfile"], {
      cwd: dir,
      env: { HOME: dir, XDG_DATA_HOME: join(dir, "data"), XDG_CONFIG_HOME: join(dir, "config") },
      ready: /serving initial configuration/,
    });
    return {
      close: async () => {
        await caddy.stop();
        rmSync(dir, { recursive: true, force: true });
      },
    };
  } catch (err) {
    rmSync(dir, { recursive: true, force: true });
    throw err;
  }
}
