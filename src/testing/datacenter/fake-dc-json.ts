// The JSON shapes of Data Center's REST API as the fake answers them: the error envelope, a page
// of a list, and user, project and repository records (Bitbucket Data Center REST API reference).
import type { FakeDataCenterProject, FakeDataCenterUser } from "./fake-dc-types.js";

type Projects = Readonly<Record<string, FakeDataCenterProject>>;

/** A status and the JSON body it carries. */
export type Answer = { readonly status: number; readonly body: unknown };

export const errors = (status: number, message: string, exceptionName: string): Answer => ({
  status,
  body: { errors: [{ context: null, message, exceptionName }] },
});
export const notPermitted = () =>
  errors(
    401,
    "You are not permitted to access this resource",
    "com.atlassian.bitbucket.AuthorisationException",
  );
export const unauthenticated = () =>
  errors(
    401,
    "Authentication failed. Please check your credentials and try again.",
    "com.atlassian.bitbucket.auth.IncorrectPasswordAuthenticationException",
  );

/** A page of a list, as Data Center pages them. */
export function page(values: readonly unknown[], query: URLSearchParams, maxPageSize: number): Answer {
  const start = Math.max(0, Number(query.get("start") ?? 0) || 0);
  const limit = Math.min(Math.max(1, Number(query.get("limit") ?? 25) || 25), maxPageSize);
  const slice = values.slice(start, start + limit);
  const isLastPage = start + slice.length >= values.length;
  return {
    status: 200,
    body: {
      size: slice.length,
      limit,
      isLastPage,
      values: slice,
      start,
      filter: null,
      ...(isLastPage ? {} : { nextPageStart: start + slice.length }),
    },
  };
}

/**
 * A user record. With `avatarSize` (a request's `?avatarSize=N`), it carries `avatarUrl`, as a real
 * instance's records do (python-social-auth and Backstage read it); its exact form is a guess.
 */
export const userJson = (u: FakeDataCenterUser, base: string, avatarSize: string | null = null) => ({
  name: u.name,
  emailAddress: u.emailAddress,
  id: u.id,
  displayName: u.displayName,
  active: u.active,
  slug: u.slug,
  type: u.type,
  ...(avatarSize !== null && /^\d{1,4}$/.test(avatarSize)
    ? { avatarUrl: `${base}/users/${encodeURIComponent(u.slug)}/avatar.png?s=${avatarSize}` }
    : {}),
  links: { self: [{ href: `${base}/users/${encodeURIComponent(u.slug)}` }] },
});
export const projectJson = (key: string, base: string, projects: Projects) => ({
  key,
  id: Object.keys(projects).indexOf(key) + 1,
  name: projects[key]?.name,
  public: projects[key]?.public ?? false,
  type: "NORMAL",
  links: { self: [{ href: `${base}/projects/${key}` }] },
});
export const repoJson = (key: string, slug: string, base: string, projects: Projects) => ({
  slug,
  name: slug,
  project: projectJson(key, base, projects),
  public: projects[key]?.public ?? false,
  links: { self: [{ href: `${base}/projects/${key}/repos/${slug}/browse` }] },
});
