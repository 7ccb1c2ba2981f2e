import type { BitbucketEdition, TypesOf } from "./select.js";

/** The parts of an edition's types that add option keys to a factory. */
export type OptionFacet = "instance" | "stored" | "login" | "refresh";

/** Every edition's keys of one facet. */
type KeysOfAll<F extends OptionFacet> = BitbucketEdition extends infer E
  ? E extends BitbucketEdition
    ? keyof TypesOf<E>[F]
    : never
  : never;

/**
 * The keys edition `E` adds to a factory for one facet, and every other edition's keys of that
 * facet as `undefined`: as at run time, where a key of another edition is refused, and so that
 * the union of every edition's options tells them apart (a hook then gets its edition's user).
 */
export type OptionsOf<E extends BitbucketEdition, F extends OptionFacet> = TypesOf<E>[F] & {
  readonly [P in Exclude<KeysOfAll<F>, keyof TypesOf<E>[F]>]?: undefined;
};

/** Edition `E`'s `allow` rules. */
export type AllowOf<E extends BitbucketEdition> = TypesOf<E>["allow"];

/** What edition `E`'s rules find. */
export type AccessOf<E extends BitbucketEdition> = TypesOf<E>["access"];

/** Edition `E`'s user, as the hooks receive it. */
export type UserOf<E extends BitbucketEdition> = TypesOf<E>["user"];
