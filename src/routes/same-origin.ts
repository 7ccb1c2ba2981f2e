import type { Request } from "express";

/**
 * True unless the request is visibly cross-site. A browser always sends `Origin` on a cross-site
 * POST, so a foreign `Origin` (or `Sec-Fetch-Site: cross-site` / `same-site`) is refused; a request
 * with neither header comes from a non-browser client such as curl and is allowed.
 */
export function isSameOrigin(req: Request, appOrigin: string): boolean {
  const fetchSite = req.get("sec-fetch-site");
  if (fetchSite === "cross-site" || fetchSite === "same-site") return false;
  const origin = req.get("origin");
  if (origin === undefined) return true;
  return origin === appOrigin || origin === `${req.protocol}://${req.get("host")}`;
}
