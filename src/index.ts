export { bitbucketRouter } from "./router.js";
export { bitbucketErrorHandler } from "./errors/error-handler.js";
export { BitbucketAuthError, ERROR_STATUS, type BitbucketAuthErrorCode } from "./errors/errors.js";
export {
  refreshBitbucketTokens,
  type RefreshBitbucketTokensOptions,
  type RefreshBitbucketDataCenterTokensOptions,
  type RefreshedBitbucketTokens,
} from "./access/refresh.js";
export {
  checkBitbucketAccess,
  type CheckBitbucketAccessOptions,
  type CheckBitbucketDataCenterAccessOptions,
} from "./access/check-access.js";
export type { BitbucketAccess, BitbucketWorkspace } from "./editions/cloud/access.js";
export type { BitbucketAllow, BitbucketWorkspaceRole } from "./editions/cloud/allow.js";
export type { FetchBitbucket } from "./editions/edition.js";
export type { BitbucketDataCenterAccess } from "./editions/datacenter/access.js";
export type { BitbucketDataCenterAllow, BitbucketDataCenterPermission } from "./editions/datacenter/allow.js";
export type { BitbucketDataCenterUser } from "./editions/datacenter/identity.js";
export type {
  BitbucketRouterOptions,
  BitbucketDataCenterRouterOptions,
  BitbucketRouterHooks,
  BitbucketProviderUserAuth,
  BitbucketLoginContext,
  BitbucketAuthorizeContext,
  BitbucketSuccessContext,
} from "./options/options.js";
export type { BitbucketUser, BitbucketTokens, BitbucketUserAuth } from "@lucia-auth/oauth/providers";
export {
  bitbucketAccessGuard,
  type BitbucketAccessGuardOptions,
  type BitbucketDataCenterAccessGuardOptions,
} from "./access/access-guard.js";
export {
  memoryTokenStore,
  type BitbucketStoredTokens,
  type BitbucketTokenStore,
} from "./access/token-store.js";
export {
  sqliteTokenStore,
  postgresTokenStore,
  type SqlTokenStoreOptions,
  type SqliteDatabaseLike,
  type PostgresQueryable,
} from "./access/sql-token-stores.js";
export { bitbucketGrant } from "./access/grant.js";
export { createTokenSealer, type TokenSealer } from "./access/token-seal.js";
