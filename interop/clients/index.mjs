// Every client in turn; a line each, and exit code 1 when any fails to log in.
import { authjsCloud } from "./authjs-cloud.mjs";
import { backstageDataCenter } from "./backstage-datacenter.mjs";
import { oauth4webapiCloud } from "./oauth4webapi-cloud.mjs";
import { oauth4webapiDataCenter } from "./oauth4webapi-datacenter.mjs";

const clients = [
  ["Backstage Bitbucket Server provider 0.2.19 → fake Data Center (https)", backstageDataCenter],
  ["oauth4webapi 3.8.9, PKCE, HTTP Basic → fake Data Center", () => oauth4webapiDataCenter("basic")],
  [
    "oauth4webapi 3.8.9, PKCE, credentials in the body → fake Data Center",
    () => oauth4webapiDataCenter("post"),
  ],
  ["oauth4webapi 3.8.9, HTTP Basic → fake Cloud", oauth4webapiCloud],
  ["Auth.js (@auth/express 0.12.3) Bitbucket provider → fake Cloud", authjsCloud],
];
let failed = 0;
for (const [name, login] of clients) {
  try {
    console.log(`ok    ${name}: ${await login()}`);
  } catch (err) {
    failed++;
    console.log(`FAIL  ${name}: ${err instanceof Error ? err.stack : String(err)}`);
  }
}
console.log(`\ninterop: ${clients.length - failed} of ${clients.length} clients logged in`);
process.exitCode = failed ? 1 : 0;
