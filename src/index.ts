export { bitbucketRouter } from "./router.js";
export { bitbucketErrorHandler } from "./error-handler.js";
export { BitbucketAuthError, ERROR_STATUS, type BitbucketAuthErrorCode } from "./errors.js";
export {
  refreshBitbucketTokens,
  type RefreshBitbucketTokensOptions,
  type RefreshedBitbucketTokens,
} from "./refresh.js";
export { checkBitbucketAccess, type CheckBitbucketAccessOptions } from "./check-access.js";
export type { BitbucketAccess, BitbucketWorkspace } from "./access.js";
export type { BitbucketAllow, BitbucketWorkspaceRole } from "./allow.js";
export type { FetchBitbucket } from "./bitbucket-api.js";
export type {
  BitbucketRouterOptions,
  BitbucketLoginContext,
  BitbucketAuthorizeContext,
  BitbucketSuccessContext,
} from "./options.js";
export type { BitbucketUser, BitbucketTokens, BitbucketUserAuth } from "@lucia-auth/oauth/providers";
export { bitbucketAccessGuard, type BitbucketAccessGuardOptions } from "./access-guard.js";
export { memoryTokenStore, type BitbucketStoredTokens, type BitbucketTokenStore } from "./token-store.js";
export {
  sqliteTokenStore,
  postgresTokenStore,
  type SqlTokenStoreOptions,
  type SqliteDatabaseLike,
  type PostgresQueryable,
} from "./sql-token-stores.js";
export { createTokenSealer, type TokenSealer } from "./token-seal.js";
