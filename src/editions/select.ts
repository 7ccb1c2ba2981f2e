import type { AccessVerdict, Bitbucket, EditionDefinition, Fail } from "./edition.js";
import { cloud } from "./cloud/cloud.js";
import { datacenter } from "./datacenter/datacenter.js";

/**
 * Every edition, in the order they are asked: the first that picks the options wins, so Cloud,
 * which picks whatever has no `serverUrl`, comes last. A new edition is one line here.
 */
const EDITIONS = { datacenter, cloud } as const;

type Editions = typeof EDITIONS;
type BitbucketOf<D> = D extends EditionDefinition<infer User, infer Access> ? Bitbucket<User, Access> : never;

/** The edition the options picked, with its Bitbucket: `kind` tells the two types apart. */
export type Selected = {
  readonly [K in keyof Editions]: { readonly kind: K; readonly bitbucket: BitbucketOf<Editions[K]> };
}[keyof Editions];

/** Every option key that some edition owns: the factories' lists of known keys include these. */
export const EDITION_OPTIONS: readonly string[] = Object.values(EDITIONS).flatMap((edition) =>
  Object.keys(edition.ownOptions),
);

/**
 * The one place an edition is picked, for the router, the guard, `checkBitbucketAccess`,
 * `refreshBitbucketTokens` and `bitbucketGrant`. An option or an `allow` key of another edition is
 * refused, naming the edition it belongs to; then the picked edition checks its own.
 * @throws TypeError (through `fail`) naming the option at fault.
 */
export function selectEdition(options: Readonly<Record<string, unknown>>, fail: Fail): Selected {
  const kinds = Object.keys(EDITIONS) as (keyof Editions)[];
  // Cloud, last, picks whatever the others do not: one is always found.
  const kind = kinds.find((k) => EDITIONS[k].picks(options)) as keyof Editions;
  const picked: EditionDefinition<unknown, AccessVerdict> = EDITIONS[kind];
  const rules = options.allow;
  for (const other of kinds.filter((k) => k !== kind).map((k) => EDITIONS[k])) {
    for (const [key, message] of Object.entries(other.ownOptions))
      if (options[key] !== undefined && !Object.hasOwn(picked.ownOptions, key)) fail(message);
    if (rules !== null && typeof rules === "object" && !Array.isArray(rules))
      for (const [key, message] of Object.entries(other.ownRules))
        if (Object.hasOwn(rules, key) && !Object.hasOwn(picked.ownRules, key)) fail(message);
  }
  // `kind` and the definition come from the same entry, so the pair is of one edition.
  return { kind, bitbucket: EDITIONS[kind].resolve(options, fail) } as Selected;
}
