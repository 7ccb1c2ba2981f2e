export { bitbucketRouter } from "./router.js";
export { bitbucketErrorHandler } from "./error-handler.js";
export { BitbucketAuthError, ERROR_STATUS, type BitbucketAuthErrorCode } from "./errors.js";
export {
  refreshBitbucketTokens,
  type RefreshBitbucketTokensOptions,
  type RefreshedBitbucketTokens,
} from "./refresh.js";
export type { BitbucketRouterOptions, BitbucketLoginContext, BitbucketSuccessContext } from "./options.js";
export type { BitbucketUser, BitbucketTokens, BitbucketUserAuth } from "@lucia-auth/oauth/providers";
