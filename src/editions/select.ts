import type { Bitbucket, EditionDefinition, EditionTypes, Fail } from "./edition.js";
import { cloud } from "./cloud/cloud.js";
import { datacenter } from "./datacenter/datacenter.js";

/**
 * Every edition, in the order they are asked: the first that picks the options wins, so Cloud,
 * which picks whatever has no `serverUrl`, comes last. A new edition is one line here.
 */
const EDITIONS = { datacenter, cloud } as const;

/** The editions by name: what the option types of every factory are built from. */
export type Editions = typeof EDITIONS;

/**
 * The name of an edition of Bitbucket: `"cloud"` or `"datacenter"`, and any edition added beside
 * them. It picks that edition's options out of a factory's, as in
 * `BitbucketRouterOptionsFor<"datacenter">`.
 */
export type BitbucketEdition = keyof Editions;

/** An edition's types (its user, access, rules and option keys), by name. */
export type TypesOf<E extends BitbucketEdition> = E extends BitbucketEdition
  ? Editions[E] extends EditionDefinition<infer T>
    ? T
    : never
  : never;

/** One edition's Bitbucket, typed by its user and access, for each name. */
export type BitbucketsByEdition = {
  readonly [E in BitbucketEdition]: Bitbucket<TypesOf<E>["user"], TypesOf<E>["access"]>;
};

/** The edition the options picked, with its Bitbucket: `kind` tells the types apart. */
export type Selected = {
  readonly [K in BitbucketEdition]: { readonly kind: K; readonly bitbucket: BitbucketsByEdition[K] };
}[BitbucketEdition];

const definitions: readonly EditionDefinition<EditionTypes>[] = Object.values(EDITIONS);

/** The keys that name an instance, of every edition: a guard, a check and a refresh pass these on. */
export const INSTANCE_OPTIONS: readonly string[] = definitions.flatMap((edition) =>
  Object.keys(edition.instanceOptions),
);

/**
 * The keys of `options` that name an instance, of every edition: what a guard, a check, a refresh
 * and `bitbucketGrant` pick an edition by.
 */
export function instanceOptionsOf(options: object): Readonly<Record<string, unknown>> {
  const given = { ...options } as Readonly<Record<string, unknown>>;
  return Object.fromEntries(INSTANCE_OPTIONS.map((key) => [key, given[key]]));
}

/** Every option key that some edition owns: the factories' lists of known keys include these. */
export const EDITION_OPTIONS: readonly string[] = [
  ...INSTANCE_OPTIONS,
  ...definitions.flatMap((edition) => Object.keys(edition.ownOptions)),
];

/**
 * The one place an edition is picked, for the router, the guard, `checkBitbucketAccess`,
 * `refreshBitbucketTokens` and `bitbucketGrant`. An option or an `allow` key of another edition is
 * refused, naming the edition it belongs to; then the picked edition checks its own.
 * @throws TypeError (through `fail`) naming the option at fault.
 */
export function selectEdition(options: Readonly<Record<string, unknown>>, fail: Fail): Selected {
  const kinds = Object.keys(EDITIONS) as BitbucketEdition[];
  // Cloud, last, picks whatever the others do not: one is always found.
  const kind = kinds.find((k) => EDITIONS[k].picks(options)) as BitbucketEdition;
  const picked: EditionDefinition<EditionTypes> = EDITIONS[kind];
  const own = { ...picked.instanceOptions, ...picked.ownOptions };
  const rules = options.allow;
  // Every edition's keys, the picked one's too: those are its own, so they are never refused.
  for (const edition of definitions) {
    for (const [key, message] of Object.entries({ ...edition.instanceOptions, ...edition.ownOptions }))
      if (options[key] !== undefined && !Object.hasOwn(own, key)) fail(message);
    if (rules !== null && typeof rules === "object" && !Array.isArray(rules))
      for (const [key, message] of Object.entries(edition.ownRules))
        if (Object.hasOwn(rules, key) && !Object.hasOwn(picked.ownRules, key)) fail(message);
  }
  // `kind` and the definition come from the same entry, so the pair is of one edition.
  return { kind, bitbucket: EDITIONS[kind].resolve(options, fail) } as Selected;
}
