#!/usr/bin/env node
import { readFileSync } from "node:fs";
import { parseArgs } from "node:util";
import { DEFAULT_FAKE_USER, FAKE_OUTSIDER_USER, startFakeBitbucket } from "./cloud/fake-bitbucket.js";
import type { FakeDecision } from "./cloud/fake-types.js";
import { startFakeDataCenter } from "./datacenter/fake-datacenter.js";

// A command-line face for the fake, so several app servers (or a curl session) can share one.
const { values } = parseArgs({
  options: {
    port: { type: "string", default: process.env.PORT ?? "4000" },
    host: { type: "string", default: "127.0.0.1" },
    "client-id": { type: "string", default: "fake-client-id" },
    "client-secret": { type: "string", default: "fake-client-secret" },
    // The app's redirectUri, registered as on Bitbucket: Cloud takes it as a prefix, Data Center exactly.
    "callback-url": { type: "string", default: "http://localhost:3000/login/bitbucket/callback" },
    decision: { type: "string", default: "auto" },
    latency: { type: "string", default: "0" },
    datacenter: { type: "boolean", default: false },
    "context-path": { type: "string", default: "/bitbucket" },
    "tls-key": { type: "string" },
    "tls-cert": { type: "string" },
    help: { type: "boolean", default: false },
  },
});

if (values.help) {
  process.stdout.write(
    "Usage: fake-bitbucket [--port 4000] [--host 127.0.0.1] [--client-id ID] [--client-secret SECRET]\n" +
      "                      [--callback-url URL] [--decision auto|approve|deny] [--latency MS]\n" +
      "       fake-bitbucket --datacenter [--port 4000] [--context-path /bitbucket] [--callback-url URL] [--latency MS]\n" +
      "                      [--tls-key key.pem --tls-cert cert.pem]   (https, as a production instance)\n" +
      "--callback-url is the app's redirectUri (default http://localhost:3000/login/bitbucket/callback).\n" +
      "Cloud accounts: ada (member of fake-team, reads fake-team/handbook) approves by default; eve is in no workspace.\n" +
      "Data Center (client fake-client-id / fake-client-secret): ada (write on ENG) approves by default;\n" +
      "  jane@acme.com (slug jane_acme.com), zoë, former (inactive), ci-bot (SERVICE), eve (no permission).\n",
  );
  process.exit(0);
}
const latencyMs = Number(values.latency);
if (!Number.isInteger(latencyMs) || latencyMs < 0) {
  process.stderr.write(`fake-bitbucket: --latency must be a whole number of milliseconds\n`);
  process.exit(2);
}
if (!["auto", "approve", "deny"].includes(values.decision)) {
  process.stderr.write(`fake-bitbucket: --decision must be auto, approve or deny\n`);
  process.exit(2);
}

const tlsFiles = [values["tls-key"], values["tls-cert"]];
if (tlsFiles.filter(Boolean).length === 1 || (tlsFiles[0] && !values.datacenter)) {
  process.stderr.write(`fake-bitbucket: --tls-key and --tls-cert go together, with --datacenter\n`);
  process.exit(2);
}
const [tlsKey, tlsCert] = tlsFiles;

if (values.datacenter) {
  // Reached directly: the router's serverUrl is the printed URL, context path included.
  const dc = await startFakeDataCenter({
    ...(tlsKey && tlsCert ? { tls: { key: readFileSync(tlsKey), cert: readFileSync(tlsCert) } } : {}),
    port: Number(values.port),
    contextPath: values["context-path"],
    latencyMs,
    redirectUris: [values["callback-url"]],
  });
  process.stdout.write(`fake Bitbucket Data Center listening on ${dc.url}\n`);
  for (const signal of ["SIGINT", "SIGTERM"] as const) {
    process.once(signal, () => void dc.close().then(() => process.exit(0)));
  }
} else {
  await startCloud();
}

async function startCloud() {
  const fake = await startFakeBitbucket({
    port: Number(values.port),
    host: values.host,
    decision: values.decision as FakeDecision,
    latencyMs,
    users: [DEFAULT_FAKE_USER, FAKE_OUTSIDER_USER],
    clients: [
      {
        clientId: values["client-id"],
        clientSecret: values["client-secret"],
        callbackUrl: values["callback-url"],
      },
    ],
  });
  process.stdout.write(`fake Bitbucket listening on ${fake.url}\n`);
  for (const signal of ["SIGINT", "SIGTERM"] as const) {
    process.once(signal, () => void fake.close().then(() => process.exit(0)));
  }
}
