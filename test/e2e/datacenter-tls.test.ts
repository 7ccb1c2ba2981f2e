// The fake Data Center over https, as production instances must be served (Atlassian enforces
// https for the base URL and the redirect URIs): a throwaway self-signed pair made here with
// openssl, the router logging in through it once its process trusts the certificate, and the CLI's
// --tls-key/--tls-cert. CI installs openssl; without it this suite fails, it never skips.
import { afterAll, afterEach, beforeAll, describe, expect, it } from "@jest/globals";
import { execFileSync, spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { get as httpGet } from "node:http";
import { get as httpsGet } from "node:https";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { startFakeDataCenter, type FakeDataCenter } from "../../src/testing/index.js";
import { freePort, ROOT, spawnUntil, startExample, type Spawned } from "../helpers/processes.js";

let dir: string;
let key: Buffer;
let cert: Buffer;
beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), "elb-tls-"));
  execFileSync(
    "openssl",
    [
      ...["req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1", "-subj", "/CN=127.0.0.1"],
      ...[
        "-addext",
        "subjectAltName=IP:127.0.0.1",
        "-keyout",
        join(dir, "key.pem"),
        "-out",
        join(dir, "cert.pem"),
      ],
    ],
    { stdio: "ignore" },
  );
  key = readFileSync(join(dir, "key.pem"));
  cert = readFileSync(join(dir, "cert.pem"));
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** One GET, trusting only `ca`: its status and body, or the error's code. */
const getWith = (url: string, ca?: Buffer) =>
  new Promise<{ status?: number; body?: string; error?: string }>((resolve) => {
    const req = (url.startsWith("https:") ? httpsGet : httpGet)(url, ca ? { ca } : {}, (res) => {
      let body = "";
      res.on("data", (chunk) => (body += chunk));
      res.on("end", () => resolve({ status: res.statusCode, body }));
    });
    req.on("error", (err: NodeJS.ErrnoException) => resolve({ error: err.code ?? err.message }));
  });

let dc: FakeDataCenter | undefined;
const spawned: Spawned[] = [];
afterEach(async () => {
  await dc?.close();
  dc = undefined;
  for (const child of spawned.splice(0)) await child.stop();
});
const cli = join(ROOT, "dist/testing/cli.js");
const tlsArgs = () => ["--tls-key", join(dir, "key.pem"), "--tls-cert", join(dir, "cert.pem")];
/** The CLI's fake Data Center over https; resolves with its printed URL. */
async function startTlsCli(extra: string[] = []): Promise<string> {
  const server = await spawnUntil(
    process.execPath,
    [cli, "--datacenter", "--port", "0", ...tlsArgs(), ...extra],
    {
      ready: /listening on https:\/\/127\.0\.0\.1:\d+\/bitbucket\n/,
    },
  );
  spawned.push(server);
  return /listening on (\S+)/.exec(server.output())?.[1] ?? "";
}

describe("the fake Data Center with tls", () => {
  it("serves https at an https url, to a client that trusts its certificate and to no other", async () => {
    dc = await startFakeDataCenter({ tls: { key, cert } });
    expect(dc.url).toMatch(/^https:\/\/127\.0\.0\.1:\d+\/bitbucket$/);
    const trusted = await getWith(`${dc.url}/rest/api/latest/application-properties`, cert);
    expect(trusted.status).toBe(200);
    expect(JSON.parse(trusted.body ?? "")).toMatchObject({ displayName: "Bitbucket" });
    expect(await getWith(`${dc.url}/rest/api/latest/application-properties`)).toEqual({
      error: "DEPTH_ZERO_SELF_SIGNED_CERT",
    });
    // Plain http to the https port gets no answer of the fake's.
    expect(
      (await getWith(`${dc.url.replace("https:", "http:")}/rest/api/latest/application-properties`)).status,
    ).not.toBe(200);
  });

  it("signs a user in through the router over https, in a process that trusts the certificate", async () => {
    // The example server as a real deployment runs it: serverUrl https, NODE_EXTRA_CA_CERTS for
    // the instance's certificate; this test plays the browser, which trusts it too.
    const port = await freePort();
    const redirectUri = `http://localhost:${port}/login/bitbucket/callback`;
    const serverUrl = await startTlsCli(["--callback-url", redirectUri]);
    const app = await startExample(port, {
      BITBUCKET_SERVER_URL: serverUrl,
      BITBUCKET_CLIENT_ID: "fake-client-id",
      BITBUCKET_CLIENT_SECRET: "fake-client-secret",
      NODE_EXTRA_CA_CERTS: join(dir, "cert.pem"),
    });
    spawned.push(app);
    const start = await fetch(`http://127.0.0.1:${port}/login/bitbucket`, { redirect: "manual" });
    expect(start.status).toBe(302);
    const authorizeUrl = start.headers.get("location") ?? "";
    expect(authorizeUrl.startsWith(`${serverUrl}/rest/oauth2/latest/authorize?`)).toBe(true);
    const approved = await new Promise<string>((resolve, reject) =>
      httpsGet(authorizeUrl, { ca: cert }, (res) => {
        res.resume();
        resolve(res.headers.location ?? "");
      }).on("error", reject),
    );
    const back = new URL(approved);
    expect(`${back.origin}${back.pathname}`).toBe(redirectUri);
    const done = await fetch(`http://127.0.0.1:${port}${back.pathname}${back.search}`, {
      redirect: "manual",
      headers: {
        cookie: start.headers
          .getSetCookie()
          .map((c) => c.split(";")[0])
          .join("; "),
      },
    });
    expect(done.status).toBe(302);
    const session = done.headers.getSetCookie().find((c) => c.startsWith("auth_session="));
    expect(session).toBeDefined();
    const me = await fetch(`http://127.0.0.1:${port}/me`, {
      headers: { cookie: session?.split(";")[0] ?? "" },
    });
    expect(await me.json()).toMatchObject({ displayName: "Ada Lovelace" });
  }, 60_000);
});

describe("fake-bitbucket --datacenter --tls-key --tls-cert", () => {
  it("serves https with the pair it is given", async () => {
    const url = await startTlsCli();
    expect((await getWith(`${url}/rest/api/latest/application-properties`, cert)).status).toBe(200);
    expect((await getWith(`${url}/rest/api/latest/application-properties`)).error).toBe(
      "DEPTH_ZERO_SELF_SIGNED_CERT",
    );
  });

  it("refuses one half of the pair, or a pair without --datacenter, with exit code 2", () => {
    for (const args of [
      ["--datacenter", "--tls-key", join(dir, "key.pem")],
      ["--tls-key", join(dir, "key.pem"), "--tls-cert", join(dir, "cert.pem")],
    ]) {
      const run = spawnSync(process.execPath, [cli, ...args], { encoding: "utf8", timeout: 10_000 });
      expect({ args, status: run.status, stderr: run.stderr }).toEqual({
        args,
        status: 2,
        stderr: "fake-bitbucket: --tls-key and --tls-cert go together, with --datacenter\n",
      });
    }
  });
});
