import type { Response } from "express";

/**
 * A redirect without a body. `res.redirect()` negotiates and writes an HTML or text body that no
 * browser reads on a 302; skipping it keeps the hot login start near a bare route's speed.
 */
export function redirect(res: Response, status: 302 | 303, url: string): void {
  res.status(status).location(url).end();
}
