// The forward-auth set-up as a team runs it: the example server (FORWARD_AUTH=1) as its own
// process, a real nginx or Caddy with the configuration files shipped in examples/forward-auth/,
// three upstream apps of the test's, and the fake Bitbucket of one edition. Names under
// example.com reach 127.0.0.1 through Chromium's host resolver; TLS uses a throwaway certificate.
import { execFileSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { request as httpsRequest } from "node:https";
import type { Server } from "node:http";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import express from "express";
import {
  startFakeBitbucket,
  startFakeDataCenter,
  type FakeBitbucket,
  type FakeDataCenter,
} from "../../src/testing/index.js";
import { ACCESS_FAKE } from "./access-fixtures.js";
import { startCaddy } from "./caddy.js";
import { startNginxHttp } from "./nginx.js";
import { freePort, ROOT, startExample, type Spawned } from "./processes.js";

export type ProxyKind = "nginx" | "caddy";
export type Edition = "cloud" | "datacenter";
export const APPS = ["docs", "grafana", "jenkins"] as const;
export type AppName = (typeof APPS)[number];

/** Each edition's rules for the three apps: Ada may open docs and grafana, not jenkins. */
const RULES: Record<Edition, Record<AppName, unknown>> = {
  cloud: {
    docs: { workspaces: ["fake-team"] },
    grafana: { repositories: ["fake-team/handbook"] },
    jenkins: { workspaces: ["fake-team"], role: "owner" },
  },
  datacenter: {
    docs: { projects: ["ENG"] },
    grafana: { repositories: ["ENG/api"] },
    jenkins: { projects: ["OPS"], permission: "admin" },
  },
};

/** What an upstream app received: the identity headers, as the proxy passed them. */
export interface Seen {
  readonly app: AppName;
  readonly headers: Readonly<Record<string, string>>;
}

export interface Stack {
  readonly port: number;
  readonly fake: FakeBitbucket | null;
  readonly dc: FakeDataCenter | null;
  /** Every request each upstream app received, in order. */
  readonly seen: Readonly<Record<AppName, Seen[]>>;
  url(host: AppName | "auth", path?: string): string;
  /** Takes Ada out of the login's rule (the workspace on Cloud, project ENG on Data Center). */
  removeAda(): void;
  /** Puts her back. */
  restoreAda(): void;
  close(): Promise<void>;
}

/** The shipped file with the test's ports and paths: every literal must be there, or the test fails. */
export function rewrite(text: string, pairs: readonly (readonly [string, string])[]): string {
  for (const [from, to] of pairs) {
    if (!text.includes(from))
      throw new Error(`the shipped configuration no longer has ${JSON.stringify(from)}`);
    text = text.split(from).join(to);
  }
  return text;
}

/** A file of `examples/forward-auth/`, as shipped. */
export const shipped = (file: string) => readFileSync(join(ROOT, "examples", "forward-auth", file), "utf8");

/** A throwaway certificate for `example.com` and `*.example.com`: `dir`/cert.pem and `dir`/key.pem. */
export function makeCertificate(dir: string): void {
  execFileSync(
    "openssl",
    [
      ...["req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1", "-subj", "/CN=example.com"],
      ...["-addext", "subjectAltName=DNS:example.com,DNS:*.example.com"],
      ...["-keyout", join(dir, "key.pem"), "-out", join(dir, "cert.pem")],
    ],
    { stdio: "ignore" },
  );
}

export async function startStack(proxy: ProxyKind, edition: Edition): Promise<Stack> {
  const dir = mkdtempSync(join(tmpdir(), "elb-forward-auth-"));
  const closers: (() => Promise<unknown>)[] = [async () => rmSync(dir, { recursive: true, force: true })];
  const close = async () => {
    for (const c of closers.reverse()) await c();
  };
  try {
    makeCertificate(dir);
    const port = await freePort();
    const url = (host: AppName | "auth", path = "/") => `https://${host}.example.com:${port}${path}`;
    const callback = url("auth", "/login/bitbucket/callback");

    const seen = { docs: [], grafana: [], jenkins: [] } as Record<AppName, Seen[]>;
    const upstreams = {} as Record<AppName, number>;
    for (const app of APPS) {
      const upstream = express();
      upstream.use((req, res) => {
        const headers = Object.fromEntries(
          Object.entries(req.headers).filter(([k]) => k.startsWith("x-auth-request-")),
        ) as Record<string, string>;
        seen[app].push({ app, headers });
        res.type("html").send(`<h1 id="app">${app}</h1><pre id="who">${JSON.stringify(headers)}</pre>`);
      });
      const server: Server = upstream.listen(0, "127.0.0.1");
      await new Promise((resolve) => server.once("listening", resolve));
      closers.push(() => new Promise((resolve) => (server.closeAllConnections(), server.close(resolve))));
      upstreams[app] = (server.address() as AddressInfo).port;
    }

    let fake: FakeBitbucket | null = null;
    let dc: FakeDataCenter | null = null;
    const env: NodeJS.ProcessEnv = {
      BITBUCKET_REDIRECT_URI: callback,
      FORWARD_AUTH: "1",
      FORWARD_AUTH_RULES: JSON.stringify(RULES[edition]),
      RETURN_TO_HOSTS: `*.example.com:${port}`,
      SESSION_COOKIE_DOMAIN: "example.com",
      BITBUCKET_RECHECK_SECONDS: "1",
      DATABASE_PATH: join(dir, "app.sqlite"),
      COOKIE_SECRET: "forward-auth-test-cookie-secret",
      TOKEN_KEY: "forward-auth-test-token-key-0123456789",
      TRUST_PROXY: "1",
    };
    if (edition === "cloud") {
      fake = await startFakeBitbucket({ ...ACCESS_FAKE, callbackUrl: callback });
      closers.push(() => fake!.close());
      Object.assign(env, { BITBUCKET_FAKE_URL: fake.url, BITBUCKET_WORKSPACES: "fake-team" });
    } else {
      const client = { clientId: "forward-auth-client", clientSecret: "forward-auth-secret" };
      dc = await startFakeDataCenter({ clients: [{ ...client, redirectUris: [callback] }] });
      closers.push(() => dc!.close());
      Object.assign(env, {
        BITBUCKET_SERVER_URL: dc.url,
        BITBUCKET_CLIENT_ID: client.clientId,
        BITBUCKET_CLIENT_SECRET: client.clientSecret,
        BITBUCKET_PROJECTS: "ENG",
      });
    }
    const appPort = await freePort();
    const server: Spawned = await startExample(appPort, env);
    closers.push(() => server.stop());

    const common: [string, string][] = [
      ["/etc/ssl/example.com/", `${dir}/`],
      ["127.0.0.1:3000", `127.0.0.1:${appPort}`],
      ...APPS.map((app, i): [string, string] => [`127.0.0.1:808${i + 1}`, `127.0.0.1:${upstreams[app]}`]),
    ];
    if (proxy === "nginx") {
      const sites = rewrite(shipped("nginx/forward-auth.conf"), [
        ...common,
        ["listen 443 ssl;", `listen 127.0.0.1:${port} ssl;`],
      ]);
      const nginx = await startNginxHttp((prefix) => {
        writeFileSync(join(prefix, "protect.conf"), shipped("nginx/protect.conf"));
        return sites;
      }, port);
      closers.push(() => nginx.close());
    } else {
      const caddyfile = rewrite(shipped("Caddyfile"), [
        ...common,
        [".example.com:443 {", `.example.com:${port} {`],
        ["\tadmin off\n", "\tadmin off\n\tdefault_bind 127.0.0.1\n"],
      ]);
      const caddy = await startCaddy(caddyfile);
      closers.push(() => caddy.close());
    }
    return {
      port,
      fake,
      dc,
      seen,
      url,
      removeAda: () =>
        fake ? fake.setWorkspaceRole("ada", "fake-team", null) : dc!.setPermission("ada", "ENG", null),
      restoreAda: () =>
        fake ? fake.setWorkspaceRole("ada", "fake-team", "member") : dc!.setPermission("ada", "ENG", "write"),
      close,
    };
  } catch (err) {
    await close();
    throw err;
  }
}

/** One https request to the proxy as `host` would get it, outside the browser: status and headers. */
export function rawGet(
  port: number,
  host: AppName | "auth",
  path: string,
  headers: Record<string, string> = {},
): Promise<{ status: number; headers: Record<string, string | string[] | undefined>; body: string }> {
  const servername = `${host}.example.com`;
  return new Promise((resolve, reject) => {
    const req = httpsRequest(
      {
        host: "127.0.0.1",
        port,
        path,
        servername,
        rejectUnauthorized: false,
        headers: { Host: `${servername}:${port}`, ...headers },
      },
      (res) => {
        let body = "";
        res.on("data", (c: Buffer) => (body += c.toString()));
        res.on("end", () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body }));
      },
    );
    req.once("error", reject);
    req.end();
  });
}
