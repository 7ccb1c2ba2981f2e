/**
 * The curl walkthrough `npm start` prints: every step of docs/curl.md, with this run's addresses.
 * test/e2e/example-curl.test.ts holds the two in step (each command of the docs appears here).
 * @param gated whether `allow` is on (BITBUCKET_WORKSPACES and friends): then the gate's steps.
 */
export function walkthrough(app: string, fake: string, gated: boolean): string {
  const steps = [
    "Try it with curl (offline, against the fake Bitbucket; docs/curl.md explains each step):",
    "",
    "  # log in (ends on the signed-in page), then ask who is signed in",
    `  curl -sS -c jar -b jar -L ${app}/login/bitbucket`,
    `  curl -sS -b jar ${app}/me`,
  ];
  if (!gated) {
    steps.push(
      "  # a second login is the returning user (the same userId)",
      `  curl -sS -c jar2 -b jar2 -L ${app}/login/bitbucket && curl -sS -b jar2 ${app}/me`,
      "  # log out, then /me answers 401",
      `  curl -sS -c jar -b jar -X POST ${app}/logout`,
      `  curl -sS -b jar ${app}/me`,
      "  # deny at the fake: the login answers ACCESS_DENIED (403)",
      `  curl -sS -X POST ${fake}/_fake/decision -d deny`,
      `  curl -sS -c jar3 -b jar3 -L ${app}/login/bitbucket`,
      `  curl -sS -X POST ${fake}/_fake/decision -d auto`,
    );
  } else {
    steps.push(
      "  # a non-member (eve) is refused with ACCESS_NOT_ALLOWED, and nothing is written",
      `  curl -sS -X POST ${fake}/_fake/user -d eve`,
      `  curl -sS -c jar4 -b jar4 -L ${app}/login/bitbucket`,
      `  curl -sS -X POST ${fake}/_fake/user -d ada`,
      "  # remove ada from the workspace: at the next re-check her sessions end (ACCESS_REVOKED)",
      `  curl -sS -X DELETE ${fake}/_fake/users/ada/workspaces/fake-team`,
      `  curl -sS -b jar ${app}/me`,
      `  curl -sS -b jar ${app}/me`,
    );
  }
  steps.push("", `Or open ${app}/ in a browser.`);
  return steps.join("\n");
}

/**
 * The Data Center walkthrough `BITBUCKET_EDITION=datacenter npm start` prints: the "Bitbucket Data
 * Center" section of docs/curl.md, with this run's addresses.
 * @param fake the fake Data Center's origin (its controls live at `/_fake/…`, outside `/bitbucket`)
 * @param gated whether `allow` is on (BITBUCKET_PROJECTS and friends): then the gate's steps.
 */
export function dataCenterWalkthrough(app: string, fake: string, gated: boolean): string {
  const steps = [
    "Try it with curl (offline, against the fake Bitbucket Data Center; docs/curl.md explains each step):",
    "",
    "  # log in as ada (ends on the signed-in page), then ask who is signed in",
    `  curl -sS -c jar -b jar -L ${app}/login/bitbucket`,
    `  curl -sS -b jar ${app}/me`,
    "  # rename ada on the instance: her next login is the same user (the numeric id)",
    `  curl -sS -X POST ${fake}/_fake/users/101/rename -d 'name=ada.l&slug=ada.l'`,
    `  curl -sS -X POST ${fake}/_fake/user -d ada.l`,
    `  curl -sS -c jar2 -b jar2 -L ${app}/login/bitbucket && curl -sS -b jar2 ${app}/me`,
  ];
  if (gated) {
    steps.push(
      "  # eve holds no permission on ENG: refused with ACCESS_NOT_ALLOWED, nothing written",
      `  curl -sS -X POST ${fake}/_fake/user -d eve`,
      `  curl -sS -c jar3 -b jar3 -L ${app}/login/bitbucket`,
      "  # remove ada.l's permission on ENG: at the next re-check her sessions end (ACCESS_REVOKED)",
      `  curl -sS -X DELETE ${fake}/_fake/users/ada.l/permissions/ENG`,
      `  curl -sS -b jar ${app}/me`,
    );
  }
  steps.push("", `Or open ${app}/ in a browser.`);
  return steps.join("\n");
}
