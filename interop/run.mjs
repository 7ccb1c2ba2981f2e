// The interop runner: clients written by others, unchanged, log into the fakes that ship with the
// package (dist/testing, built by `npm test`). Each client is one file in clients/; this file makes
// a throwaway certificate for the https fake Data Center, runs every client in a process that
// trusts it (NODE_EXTRA_CA_CERTS, as a deployment trusts its instance's CA), and fails when any
// client fails to log in. Run by .ci/run: `cd interop && npm ci && npm start`.
import { execFileSync, spawnSync } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";

const dir = mkdtempSync(join(tmpdir(), "elb-interop-"));
try {
  const key = join(dir, "key.pem");
  const cert = join(dir, "cert.pem");
  execFileSync(
    "openssl",
    [
      ...["req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1", "-subj", "/CN=127.0.0.1"],
      ...["-addext", "subjectAltName=IP:127.0.0.1", "-keyout", key, "-out", cert],
    ],
    { stdio: "ignore" },
  );
  const clients = fileURLToPath(new URL("clients/index.mjs", import.meta.url));
  const run = spawnSync(process.execPath, [clients], {
    stdio: "inherit",
    env: { ...process.env, NODE_EXTRA_CA_CERTS: cert, INTEROP_TLS_KEY: key, INTEROP_TLS_CERT: cert },
    timeout: 300_000,
  });
  process.exitCode = run.status ?? 1;
} finally {
  rmSync(dir, { recursive: true, force: true });
}
