import { isPath, optional, type Fail } from "../util/validators.js";

/**
 * `publicPath`: the prefix a reverse proxy strips before Express sees a request (`"/app"` when
 * the public `/app/login/bitbucket` reaches Express as `/login/bitbucket`). `redirectUri`'s path
 * must start with it.
 * @throws TypeError (through `fail`) naming the option at fault.
 */
export function resolvePublicPath(
  options: Readonly<Record<string, unknown>>,
  redirect: URL,
  callbackPath: string,
  fail: Fail,
): string {
  const publicPath = optional<string>(
    options,
    "publicPath",
    "",
    (v) => v === "" || (isPath(v) && !(v as string).endsWith("/")),
    'a path such as "/app" (no trailing "/"), or ""',
    fail,
  );
  if (publicPath && !redirect.pathname.startsWith(`${publicPath}/`))
    fail(
      `option "redirectUri" (path "${redirect.pathname}") does not start with publicPath "${publicPath}": the public callback URL is under the proxy's prefix.`,
    );
  if (redirect.pathname.length - callbackPath.length < publicPath.length)
    fail(
      `option "publicPath" ("${publicPath}") overlaps the callback path "${callbackPath}" in redirectUri.`,
    );
  return publicPath;
}
