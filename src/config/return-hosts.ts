import type { Fail } from "../util/validators.js";

/**
 * The hosts an absolute `returnTo` may name, compiled once from `returnToHosts`: exact hosts and
 * `*.suffix` wildcards, each with the one port it allows (`""`: the scheme's default, written
 * without a port).
 */
export interface ReturnHosts {
  /** `host` or `host:port`, as a URL's authority writes it. */
  readonly exact: ReadonlySet<string>;
  /** For `*.example.com`: `".example.com"` and its port. */
  readonly wildcards: readonly { readonly suffix: string; readonly port: string }[];
}

const LABEL = "[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?";
const NAME = `${LABEL}(?:\\.${LABEL})*`;
const PORT = "[1-9][0-9]{0,4}";
/** One entry: a lowercase name, `[::1]`, or `*.` and a name of two labels or more; then a port. */
const ENTRY = new RegExp(`^(\\*\\.)?(${NAME}|\\[::1\\])(?::(${PORT}))?$`);
/** The start of an absolute return URL: scheme, host and port, up to the path, query or fragment. */
export const RETURN_URL_AUTHORITY = new RegExp(`^(https?)://(${NAME}|\\[::1\\])(?::(${PORT}))?(?=[/?#]|$)`);
/** Where plain http is still a return target: this machine, for development. */
export const LOOPBACK: ReadonlySet<string> = new Set(["localhost", "127.0.0.1", "[::1]"]);

/**
 * Parses `returnToHosts` entries by an exact grammar. Returns the compiled hosts, or the reason an
 * entry is refused (for the factory's TypeError).
 */
export function compileReturnHosts(entries: readonly unknown[]): ReturnHosts | string {
  const exact = new Set<string>();
  const wildcards: { suffix: string; port: string }[] = [];
  for (const entry of entries) {
    const m = typeof entry === "string" ? ENTRY.exec(entry) : null;
    if (!m) return `${JSON.stringify(entry)} is not a lowercase host name, "*.name" or either with ":port"`;
    // Stryker disable next-line StringLiteral: the name's group always matches, so its default never applies.
    const [, star, name = "", port = ""] = m;
    if (Number(port) > 65535) return `${JSON.stringify(entry)} has a port above 65535`;
    if (star) {
      // `*.com` would admit every host under a public suffix.
      if (!name.includes(".")) return `${JSON.stringify(entry)} would admit every host under "${name}"`;
      wildcards.push({ suffix: `.${name}`, port });
    } else exact.add(port ? `${name}:${port}` : name);
  }
  return { exact, wildcards };
}

/** Whether the host `name` (never with a trailing dot) on `port` (`""`: the default) is allowed. */
export function isReturnHost(hosts: ReturnHosts, name: string, port: string): boolean {
  if (hosts.exact.has(port ? `${name}:${port}` : name)) return true;
  // The suffix starts with "." and a name never does, so a match has a label of its own before it:
  // `*.example.com` is not `example.com`.
  return hosts.wildcards.some((w) => w.port === port && name.endsWith(w.suffix));
}

/**
 * `returnToHosts`: the hosts an absolute `?returnTo` may send the browser back to after login.
 * @throws TypeError (through `fail`) naming the entry at fault.
 */
export function resolveReturnToHosts(
  options: Readonly<Record<string, unknown>>,
  fail: Fail,
): ReturnHosts | null {
  const value = options.returnToHosts;
  if (value === undefined) return null;
  if (!Array.isArray(value) || value.length === 0)
    fail(
      'option "returnToHosts" must be a non-empty array of host names, such as ["app.example.com", "*.example.com", "localhost:3000"].',
    );
  const compiled = compileReturnHosts(value);
  if (typeof compiled === "string") fail(`option "returnToHosts": ${compiled}.`);
  return compiled;
}
