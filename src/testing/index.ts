export {
  startFakeBitbucket,
  DEFAULT_FAKE_CLIENT,
  DEFAULT_FAKE_USER,
  DEFAULT_FAKE_WORKSPACE,
  FAKE_OUTSIDER_USER,
} from "./cloud/fake-bitbucket.js";
export { routeBitbucketTo } from "./http/route-fetch.js";
export { rewriteBitbucketRedirects } from "./http/rewrite-redirects.js";
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
} from "./cloud/fake-types.js";
