/**
 * One list of an `allow` rule (`workspaces`, `projects`, `repositories`), checked at construction:
 * absent is `[]`; otherwise a non-empty array whose every item is a string that passes `check`.
 * @throws TypeError (through `fail`) naming `allow.<key>` and what it must hold.
 */
export function ruleList(
  input: Readonly<Record<string, unknown>>,
  key: string,
  check: (item: string) => boolean,
  what: string,
  fail: (message: string) => never,
): string[] {
  const value = input[key];
  if (value === undefined) return [];
  if (!Array.isArray(value) || value.length === 0)
    fail(`option "allow.${key}" must be a non-empty array of ${what}.`);
  for (const item of value as unknown[]) {
    if (typeof item !== "string" || !check(item))
      fail(`option "allow.${key}" must hold ${what}; got ${JSON.stringify(item)}.`);
  }
  return [...(value as string[])];
}

/**
 * `owner/slug` exactly (a workspace or project, then a repository): two parts, an owner that passes
 * `isOwner`, and a slug of `slug`'s shape that is not `.` or `..`, which a URL would resolve to the
 * owner or to the list instead of a repository.
 */
export function isOwnedSlug(value: string, isOwner: (owner: string) => boolean, slug: RegExp): boolean {
  const [owner, name, extra] = value.split("/");
  return (
    extra === undefined &&
    owner !== undefined &&
    isOwner(owner) &&
    name !== undefined &&
    slug.test(name) &&
    name !== "." &&
    name !== ".."
  );
}
