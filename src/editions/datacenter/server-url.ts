const LOOPBACK = new Set(["localhost", "127.0.0.1", "[::1]"]);

/**
 * The `serverUrl` option, checked once: an absolute https URL (plain http only on a loopback host,
 * for local testing), with no query, fragment or credentials. The context path is kept and a
 * trailing slash dropped, so that `base + "/rest/…"` always stays under it.
 * @throws TypeError (through `fail`) naming the option.
 */
export function resolveServerUrl(value: unknown, fail: (message: string) => never): string {
  const example = '"https://git.example.com/bitbucket"';
  if (typeof value !== "string" || value === "")
    fail(`option "serverUrl" must be the instance's base URL with its context path, such as ${example}.`);
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    fail(`option "serverUrl" must be an absolute URL such as ${example}; got ${JSON.stringify(value)}.`);
  }
  if (url.protocol !== "https:" && !(url.protocol === "http:" && LOOPBACK.has(url.hostname)))
    fail(`option "serverUrl" must be an https URL (plain http only for localhost, 127.0.0.1 or [::1]).`);
  // The raw text, not url.search: "https://host/?" parses to an empty search but is still a query.
  if (value.includes("?")) fail(`option "serverUrl" must not have a ?query.`);
  if (value.includes("#")) fail(`option "serverUrl" must not have a #fragment.`);
  if (url.username || url.password) fail(`option "serverUrl" must not carry credentials.`);
  return url.origin + url.pathname.replace(/\/+$/, "");
}
