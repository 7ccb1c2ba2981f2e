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
