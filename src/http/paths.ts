/**
 * True when no segment of the path (before any query) is `.` or `..`, as sent or percent-decoded
 * (`%2e%2e`, `.%2e`), nor holds a backslash (`..\`, `%5c`) or a `;` (`%3b`), nor is empty before
 * the last one. A URL parser would resolve the first ones outside the API's root (`/2.0/`,
 * `/rest/`); Tomcat, under Bitbucket Data Center, drops `;` path parameters, so `/rest/..;/x` is
 * `/x` there.
 */
export function hasPlainSegments(path: string): boolean {
  const segments = (path.split("?")[0] ?? "").split("/").slice(1);
  return segments.every((raw, i) => {
    let segment: string;
    try {
      segment = decodeURIComponent(raw);
    } catch {
      return false;
    }
    if (
      segment === "." ||
      segment === ".." ||
      segment.includes("\\") ||
      segment.includes("/") ||
      segment.includes(";")
    )
      return false;
    return raw !== "" || i === segments.length - 1;
  });
}
