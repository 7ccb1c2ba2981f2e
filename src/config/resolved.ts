import type { Auth } from "lucia";
import type { Selected } from "../editions/select.js";
import type { BitbucketTokenStore } from "../tokens/token-store.js";
import type { BitbucketRouterHooks } from "./hooks.js";
import type { ReturnHosts } from "./return-hosts.js";

/** The options after validation, with every default filled in. Built once per router. */
export interface ResolvedOptions {
  readonly provider: {
    readonly clientId: string;
    readonly clientSecret: string;
    readonly redirectUri: string;
  };
  readonly loginPath: string;
  readonly callbackPath: string;
  /** The prefix the router must be mounted under: what `redirectUri`'s path has before `callbackPath`. */
  readonly mountPath: string;
  /** The prefix a proxy strips before Express sees a request; `""` without one. */
  readonly publicPath: string;
  readonly successRedirect: string;
  /** The hosts an absolute `?returnTo` may name; `null`: paths of this site only. */
  readonly returnToHosts: ReturnHosts | null;
  readonly failureRedirect: string | undefined;
  readonly cookieSecrets: readonly string[] | undefined;
  readonly stateCookie: {
    /** The name's stem; each login start adds `.<tag>`. `__Host-` first on https. */
    readonly name: string;
    readonly path: string;
    readonly secure: boolean;
    readonly maxAge: number;
  };
  readonly timeout: number;
  /**
   * Names the router in every state it signs: a hash of the edition, client, redirect URI and
   * link setting, so another router that shares the secret cannot finish its logins here.
   */
  readonly stateIssuer: string;
  /** Which Bitbucket, with its rules: the router builds the login from this alone. */
  readonly selected: Selected;
  /** True when a login runs a gate (`allow`), so the stored tokens count as just checked. */
  readonly gated: boolean;
  /** Which Bitbucket this router's stored tokens are for (see `grantOf`). */
  readonly grant: string;
  /** The fingerprint of `allow`, stored beside the login's `checkedAt`; undefined without `allow`. */
  readonly checkedRules: string | undefined;
  readonly refusalMessage: "detailed" | "generic";
  readonly tokens: BitbucketTokenStore | null;
  readonly linkPath: string | false;
  readonly logoutPath: string | false;
  readonly logoutRedirect: string;
}

/** The hooks after validation: the edition's user and access types, the defaults filled in. */
export interface ResolvedHooks<_Auth extends Auth, BbUser, Access> {
  readonly authorize: BitbucketRouterHooks<_Auth, BbUser, Access>["authorize"];
  readonly createUser: NonNullable<BitbucketRouterHooks<_Auth, BbUser, Access>["createUser"]>;
  readonly getSessionAttributes: NonNullable<
    BitbucketRouterHooks<_Auth, BbUser, Access>["getSessionAttributes"]
  >;
  readonly onSuccess: BitbucketRouterHooks<_Auth, BbUser, Access>["onSuccess"];
}
