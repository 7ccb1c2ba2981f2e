import { expect } from "@jest/globals";
import { setCookie, STATE_COOKIE, STATE_LINE, type Harness } from "./harness.js";

type Res = { status: number; body: { error?: string; message?: string }; headers: Record<string, unknown> };

/** A failed callback: its code and status, the state cookie cleared, no session cookie, no rows. */
export async function expectRefused(h: Harness, res: Res, code: string, status: number): Promise<void> {
  expect({ status: res.status, error: res.body.error }).toEqual({ status, error: code });
  expectStateCleared(res);
  expect(setCookie(res, "auth_session")).toBeUndefined();
  expect(await h.db.counts()).toEqual({ users: 0, keys: 0, sessions: 0 });
  expect(JSON.stringify(res.body)).not.toMatch(/fake-client-secret|at .*\.(js|ts):\d+/);
}

export function expectStateCleared(res: Res): void {
  const line = setCookie(res, STATE_COOKIE);
  expect(line).toBeDefined();
  expect(line).toMatch(new RegExp(`${STATE_LINE.source};`));
  expect(line).toContain("Expires=Thu, 01 Jan 1970 00:00:00 GMT");
}
