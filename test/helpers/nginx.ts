import { spawn } from "node:child_process";
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { freePort, spawnUntil } from "./processes.js";

export const NGINX = process.env.NGINX_PATH ?? "/usr/sbin/nginx";
export const hasNginx = existsSync(NGINX);

/** A real nginx on a loopback port of the OS's choosing, with the test's `server` block. */
export interface Nginx {
  readonly origin: string;
  readonly port: number;
  close(): Promise<void>;
}

/**
 * Starts Debian's nginx as a process of the test's (not a system service), in the foreground, with
 * every file it writes in a temporary directory. `server` gets the port to listen on and returns the
 * `server { … }` block's body. Resolves once nginx has opened the port and started its worker.
 */
export async function startNginx(server: (port: number) => string, port?: number): Promise<Nginx> {
  const listen = port ?? (await freePort());
  return startNginxHttp(
    () => `  server {
    listen 127.0.0.1:${listen};
${server(listen)}
  }`,
    listen,
  );
}

/**
 * The same nginx, with the test's own `http { … }` body (`dir` is nginx's prefix, where a test may
 * write the files its configuration includes); `port` is the one it says it listens on.
 */
export async function startNginxHttp(http: (dir: string) => string, listen: number): Promise<Nginx> {
  const dir = mkdtempSync(join(tmpdir(), "elb-nginx-"));
  for (const sub of ["body", "proxy", "fastcgi", "uwsgi", "scgi"]) mkdirSync(join(dir, sub));
  const conf = join(dir, "nginx.conf");
  writeFileSync(
    conf,
    `worker_processes 1;
pid ${dir}/nginx.pid;
# notice: nginx says "start worker process" once its listening sockets are open, which is when
# the test may use the port.
error_log stderr notice;
events { worker_connections 64; }
http {
  access_log off;
  client_body_temp_path ${dir}/body;
  proxy_temp_path ${dir}/proxy;
  fastcgi_temp_path ${dir}/fastcgi;
  uwsgi_temp_path ${dir}/uwsgi;
  scgi_temp_path ${dir}/scgi;
${http(dir)}
}
`,
  );
  // The configuration is checked first, so a mistake in it fails with nginx's own message.
  await new Promise<void>((resolve, reject) => {
    const check = spawn(NGINX, ["-t", "-q", "-p", dir, "-c", conf], { stdio: ["ignore", "ignore", "pipe"] });
    let err = "";
    check.stderr.on("data", (c: Buffer) => (err += c.toString()));
    check.once("close", (code) => (code === 0 ? resolve() : reject(new Error(`nginx -t: ${err}`))));
  });
  const origin = `http://127.0.0.1:${listen}`;
  try {
    // The master opens the listening sockets before it starts a worker, and logs the start.
    const nginx = await spawnUntil(NGINX, ["-p", dir, "-c", conf, "-g", "daemon off;"], {
      cwd: dir,
      ready: /start worker process/,
      // QUIT: a graceful stop, the master ending its workers.
      stopSignal: "SIGQUIT",
    });
    return {
      origin,
      port: listen,
      close: async () => {
        await nginx.stop();
        rmSync(dir, { recursive: true, force: true });
      },
    };
  } catch (err) {
    rmSync(dir, { recursive: true, force: true });
    throw new Error(`nginx did not start on ${origin}: ${(err as Error).message}`);
  }
}
