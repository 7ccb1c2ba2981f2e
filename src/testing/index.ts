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
  FakeCloudDecision,
  FakeCloudEndpoint,
  FakeCloudFault,
  FakeDecision,
  FakeEndpoint,
  FakeFault,
  FakeRequest,
  FakeWorkspace,
  FakeWorkspaceRole,
} from "./cloud/fake-types.js";
export { startFakeDataCenter } from "./datacenter/fake-datacenter.js";
export { fakeDataCenterDirectory } from "./datacenter/fake-dc-directory.js";
export {
  DEFAULT_FAKE_DATACENTER_CLIENT,
  DEFAULT_FAKE_DATACENTER_USERS,
  DEFAULT_FAKE_DATACENTER_PROJECTS,
  FAKE_DATACENTER_PROJECTS,
} from "./datacenter/fake-dc-fixtures.js";
export type {
  FakeDataCenter,
  FakeDataCenterClient,
  FakeDataCenterEndpoint,
  FakeDataCenterFault,
  FakeDataCenterOptions,
  FakeDataCenterPermission,
  FakeDataCenterProject,
  FakeDataCenterRequest,
  FakeDataCenterUser,
} from "./datacenter/fake-dc-types.js";
export type { FakeTls } from "./shared/fake-server.js";
