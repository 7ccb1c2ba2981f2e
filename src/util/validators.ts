// The option checks every factory shares (the router, the guard, the check and the refresh): each
// throws, through the caller's `fail`, a TypeError that names the option and what it must be.

/** Throws the caller's `TypeError` (`bitbucketRouter: …`): every option message goes through one. */
export type Fail = (message: string) => never;

/** A required option: a string with something in it. */
export function requiredString(options: Readonly<Record<string, unknown>>, name: string, fail: Fail): string {
  const value = options[name];
  if (typeof value !== "string" || value.trim() === "")
    fail(`option "${name}" is required (a non-empty string).`);
  return value;
}

/** An optional option: `fallback` when absent, else the value if it passes `check`. */
export function optional<T>(
  options: Readonly<Record<string, unknown>>,
  name: string,
  fallback: T,
  check: (v: unknown) => boolean,
  what: string,
  fail: Fail,
): T {
  const value = options[name];
  if (value === undefined) return fallback;
  if (!check(value)) fail(`option "${name}" must be ${what}.`);
  return value as T;
}

/** A path of the app's own: `/` first, no `//`, no whitespace, `?`, `#` or `\`. */
export const isPath = (v: unknown) =>
  typeof v === "string" && /^\/[^\s?#\\]*$/.test(v) && !v.startsWith("//");

/** Where a redirect may go: a path of the app's (a query or fragment allowed), or an absolute http(s) URL. */
export const isTarget = (v: unknown) =>
  typeof v === "string" && (isPath(v.split(/[?#]/)[0]) || /^https?:\/\/[^\s]+$/i.test(v));

/**
 * A whole number of milliseconds from 1000 to `max`. Below one second is almost surely seconds given
 * by mistake (600 for ten minutes): a state cookie would be born expired, every call cut at once.
 */
export const isWholeMs = (max: number) => (v: unknown) =>
  typeof v === "number" && Number.isInteger(v) && v >= 1000 && v <= max;
