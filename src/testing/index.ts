export { startFakeBitbucket, DEFAULT_FAKE_CLIENT, DEFAULT_FAKE_USER } from "./fake-bitbucket.js";
export { routeBitbucketTo } from "./route-fetch.js";
export { rewriteBitbucketRedirects } from "./rewrite-redirects.js";
export type {
  FakeBitbucket,
  FakeBitbucketOptions,
  FakeBitbucketUser,
  FakeBitbucketClient,
  FakeDecision,
  FakeEndpoint,
  FakeFault,
} from "./fake-types.js";
