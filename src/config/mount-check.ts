import { BitbucketAuthError } from "../errors/errors.js";
import { log } from "../util/log.js";
import type { ResolvedOptions } from "./resolved.js";

/**
 * Compares where the router is mounted (`req.baseUrl` at its first request) with the prefix that
 * `redirectUri` implies. Express tells a router its mount only at request time, so this cannot run
 * in the factory; the router runs it once, at its first request, and keeps the answer.
 *
 * `loginPath`, `linkPath` and `logoutPath` are relative to the mount, as Express routes are: once
 * the callback lines up with `redirectUri`, they sit under the same prefix and need no check.
 * @returns `null` when they agree, else the `MOUNT_PATH_MISMATCH` error every route then answers.
 */
export function checkMount(
  baseUrl: string,
  options: Pick<ResolvedOptions, "mountPath" | "callbackPath" | "provider" | "publicPath">,
): BitbucketAuthError | null {
  if (baseUrl === options.mountPath) return null;
  const { mountPath, callbackPath, publicPath } = options;
  const callback = new URL(options.provider.redirectUri).pathname;
  const served = `${publicPath}${baseUrl}${callbackPath}`;
  // The public prefix that redirectUri has and Express does not see: a proxy that strips it.
  const whole = publicPath + mountPath;
  const stripped =
    whole.length > baseUrl.length && whole.endsWith(baseUrl)
      ? whole.slice(0, whole.length - baseUrl.length)
      : "";
  const proxyHint =
    stripped && !stripped.endsWith("/")
      ? ` If a reverse proxy strips "${stripped}" before Express sees the request, pass publicPath: "${stripped}" instead.`
      : "";
  const error = new BitbucketAuthError(
    "MOUNT_PATH_MISMATCH",
    `The router is mounted at "${baseUrl || "/"}", so its callback route is "${served}", but redirectUri's path is ` +
      `"${callback}": Bitbucket's redirect would land on a route that never reaches the router (a bare 404). ` +
      (mountPath
        ? `Mount it with app.use("${mountPath}", bitbucketRouter(...)), or`
        : `Mount it at the root, app.use(bitbucketRouter(...)), or`) +
      ` change redirectUri's path to "${served}" (and the callback URL registered with Bitbucket).` +
      proxyHint,
  );
  log("configuration error: %s: %s", error.code, error.message);
  return error;
}
