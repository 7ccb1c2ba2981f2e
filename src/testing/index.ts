export {
  startFakeBitbucket,
  DEFAULT_FAKE_CLIENT,
  DEFAULT_FAKE_USER,
  DEFAULT_FAKE_WORKSPACE,
  FAKE_OUTSIDER_USER,
} from "./fake-bitbucket.js";
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
  FakeWorkspace,
  FakeWorkspaceRole,
} from "./fake-types.js";
