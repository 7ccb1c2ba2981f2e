// What the browser does between a client and the fake: follow the authorize URL to the app's
// callback, with a cookie jar for the apps that keep state in cookies.

/** GET the authorize URL (the fake approves as its default user) and return where it sends the browser. */
export async function approve(authorizeUrl) {
  const res = await fetch(authorizeUrl, { redirect: "manual" });
  const location = res.headers.get("location");
  if (![302, 303].includes(res.status) || !location)
    throw new Error(`authorize answered ${res.status}: ${(await res.text()).slice(0, 200)}`);
  return new URL(location, authorizeUrl);
}

/** A cookie jar: name=value pairs from Set-Cookie, sent back on every request. */
export function cookieJar() {
  const jar = new Map();
  return {
    header: () => [...jar].map(([name, value]) => `${name}=${value}`).join("; "),
    take(res) {
      for (const line of res.headers.getSetCookie()) {
        const [pair] = line.split(";");
        const at = pair.indexOf("=");
        jar.set(pair.slice(0, at), pair.slice(at + 1));
      }
      return res;
    },
  };
}

/** The fake's user behind an access token, as the client's own follow-up call would see it. */
export async function expectOk(res, what) {
  if (!res.ok) throw new Error(`${what} answered ${res.status}: ${(await res.text()).slice(0, 200)}`);
  return res;
}
