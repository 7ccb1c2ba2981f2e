/**
 * True when no segment of the path (before any query) is `.` or `..`, as sent or percent-decoded
 * (`%2e%2e`, `.%2e`), nor holds a backslash (`..\`, `%5c`), nor is empty before the last one: a
 * URL parser would resolve any of these outside the API's root (`/2.0/`, `/rest/`) (the red team's finding 6).
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
    if (segment === "." || segment === ".." || segment.includes("\\") || segment.includes("/")) return false;
    return raw !== "" || i === segments.length - 1;
  });
}
