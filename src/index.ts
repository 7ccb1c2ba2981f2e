export { bitbucketRouter } from "./router.js";
export { bitbucketErrorHandler, type BitbucketErrorHandlerOptions } from "./errors/error-handler.js";
export { BitbucketAuthError, ERROR_STATUS, type BitbucketAuthErrorCode } from "./errors/errors.js";
export {
  refreshBitbucketTokens,
  type RefreshBitbucketTokensOptions,
  type RefreshBitbucketDataCenterTokensOptions,
  type RefreshBitbucketTokensOptionsFor,
  type RefreshedBitbucketTokens,
} from "./recheck/refresh.js";
export {
  checkBitbucketAccess,
  type CheckBitbucketAccessOptions,
  type CheckBitbucketDataCenterAccessOptions,
  type CheckBitbucketAccessOptionsFor,
} from "./recheck/check-access.js";
export type { BitbucketAccess, BitbucketWorkspace } from "./editions/cloud/access.js";
export type { BitbucketAllow, BitbucketWorkspaceRole } from "./editions/cloud/allow.js";
export type { BitbucketProviderUserAuth, FetchBitbucket } from "./editions/edition.js";
export type { BitbucketDataCenterAccess } from "./editions/datacenter/access.js";
export type { BitbucketDataCenterAllow, BitbucketDataCenterPermission } from "./editions/datacenter/allow.js";
export type { BitbucketDataCenterUser } from "./editions/datacenter/identity.js";
export type { BitbucketRouterOptions, BitbucketDataCenterRouterOptions } from "./config/options.js";
export type { BitbucketRouterOptionsFor } from "./config/options-for.js";
export type { BitbucketEdition } from "./editions/select.js";
export type {
  BitbucketRouterHooks,
  BitbucketLoginContext,
  BitbucketAuthorizeContext,
  BitbucketSuccessContext,
} from "./config/hooks.js";
export type { BitbucketUser, BitbucketTokens, BitbucketUserAuth } from "@lucia-auth/oauth/providers";
export {
  bitbucketAccessGuard,
  type BitbucketAccessGuardOptions,
  type BitbucketDataCenterAccessGuardOptions,
  type BitbucketAccessGuardOptionsFor,
} from "./recheck/access-guard.js";
export {
  bitbucketForwardAuth,
  type BitbucketForwardAuthOptions,
  type BitbucketDataCenterForwardAuthOptions,
  type BitbucketForwardAuthOptionsFor,
} from "./forward-auth/forward-auth.js";
export {
  memoryTokenStore,
  withRefreshedTokens,
  type BitbucketAccountInfo,
  type BitbucketStoredTokens,
  type BitbucketTokenStore,
} from "./tokens/token-store.js";
export {
  sqliteTokenStore,
  postgresTokenStore,
  type SqlTokenStoreOptions,
  type SqliteDatabaseLike,
  type PostgresQueryable,
} from "./tokens/sql-token-stores.js";
export { bitbucketGrant, type BitbucketGrantOptionsFor } from "./editions/bitbucket-grant.js";
export { createTokenSealer, type TokenSealer } from "./tokens/token-seal.js";
