// The README's "In your own app", followed literally as a new user would: in an empty folder
// outside the repository, every `sh` line of that section is run as printed, in order, each file
// the section shows is compared byte for byte with what `init` wrote, and each curl line's
// comment is its expected output ("…" stands for anything). So the README and the project it
// describes cannot drift apart. Run by .ci/run after the test suites (`npm run test:readme`).
//
// What differs from a user's machine, and only this:
// - `npm install express-lucia-bitbucket` installs the tarball `npm pack` makes of this commit,
//   since this commit is not on the registry;
// - the server's port is one the OS picked, passed as PORT and put in place of `localhost:3000`,
//   so a busy machine's port 3000 cannot fail the run.
import { execFileSync, spawn } from "node:child_process";
import { mkdtempSync, readdirSync, readFileSync, rmSync } from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";

const ROOT = fileURLToPath(new URL("../..", import.meta.url));
const readme = readFileSync(join(ROOT, "README.md"), "utf8");
const start = readme.indexOf("## In your own app\n");
const end = readme.indexOf("\n## ", start + 1);
if (start < 0 || end < 0) throw new Error('README.md has no "## In your own app" section');
const section = readme.slice(start, end);

/** The section's fenced blocks in order, each with the file it shows (a "`path`:" line before it). */
const blocks = [...section.matchAll(/^```(\w+)\n([\s\S]*?)^```$/gm)].map((m) => {
  // The paragraph just before the block; its first line names the file.
  const paragraph = section.slice(0, m.index).trimEnd().split("\n\n").at(-1) ?? "";
  const label = paragraph.split("\n")[0] ?? "";
  return { lang: m[1], body: m[2], file: /^`([\w./-]+)`:/.exec(label)?.[1] };
});

const env = {
  ...process.env,
  NODE_OPTIONS: "",
  npm_config_update_notifier: "false",
  npm_config_fund: "false",
};
delete env.PORT;
delete env.INIT_CWD;
const freePort = () =>
  new Promise((resolve, reject) => {
    const server = createServer().listen(0, "127.0.0.1", () => {
      const { port } = server.address();
      server.close(() => resolve(port));
    });
    server.once("error", reject);
  });

const pack = mkdtempSync(join(tmpdir(), "readme-literal-pack-"));
execFileSync("npm", ["pack", "--pack-destination", pack], {
  cwd: ROOT,
  env,
  stdio: ["ignore", "ignore", "inherit"],
});
const tarball = join(
  pack,
  readdirSync(pack).find((f) => f.endsWith(".tgz")),
);
const home = mkdtempSync(join(tmpdir(), "readme-literal-"));
const port = String(await freePort());
env.PORT = port;

let cwd = home;
let server;
let ran = 0;
let compared = 0;
const stopServer = () => {
  if (server && server.exitCode === null) process.kill(-server.pid, "SIGTERM");
};
process.on("exit", stopServer);

/** `line # comment` → the command and its comment; "#" counts only after whitespace. */
const split = (line) => {
  const m = /^(.*?)\s+#\s(.*)$/.exec(line);
  return m ? { command: m[1], comment: m[2] } : { command: line, comment: undefined };
};
const literal = (command) =>
  command
    .replace(/^npm install express-lucia-bitbucket /, `npm install ${tarball} `)
    .replaceAll("localhost:3000", `localhost:${port}`);

/** Runs one line in bash in the folder the previous line left, and returns its output. */
function sh(command) {
  const out = execFileSync("bash", ["-euo", "pipefail", "-c", `${command}\nprintf '\\n@cwd %s' "$PWD"`], {
    cwd,
    env,
    encoding: "utf8",
    stdio: ["ignore", "pipe", "inherit"],
    timeout: 900_000,
  });
  const at = out.lastIndexOf("\n@cwd ");
  cwd = out.slice(at + "\n@cwd ".length);
  return out.slice(0, at);
}

/** Starts a server line in the background and waits for the output its comment promises. */
function background(command, promise) {
  return new Promise((resolve, reject) => {
    server = spawn("bash", ["-c", command], { cwd, env, detached: true, stdio: ["ignore", "pipe", "pipe"] });
    let output = "";
    const onData = (chunk) => {
      output += chunk;
      if (output.includes(promise)) resolve();
    };
    server.stdout.on("data", onData);
    server.stderr.on("data", onData);
    server.once("exit", (code) =>
      reject(new Error(`"${command}" exited with ${code} before "${promise}":\n${output}`)),
    );
  });
}

/** A curl line's comment is what its output must hold, "…" standing for anything. */
function expectOutput(output, comment, command) {
  let at = 0;
  for (const piece of comment.split("…")) {
    const found = output.indexOf(piece, at);
    if (found < 0)
      throw new Error(`"${command}" printed:\n${output}\nwhich lacks "${piece}" (README: # ${comment})`);
    at = found + piece.length;
  }
}

try {
  for (const block of blocks) {
    if (block.file) {
      const written = readFileSync(join(cwd, block.file), "utf8");
      if (written !== block.body && written !== block.body.replace(/\n$/, ""))
        throw new Error(`${block.file} in the README differs from the one \`init\` wrote`);
      compared += 1;
      continue;
    }
    if (block.lang !== "sh") continue;
    for (const line of block.body.split("\n").filter((l) => l.trim() !== "")) {
      const { command, comment } = split(line);
      const run = literal(command);
      process.stdout.write(`$ ${run}\n`);
      ran += 1;
      if (comment?.startsWith("listening on ")) {
        await background(run, literal(comment));
      } else if (command.startsWith("curl ")) {
        expectOutput(sh(run), comment ?? "", run);
      } else {
        process.stdout.write(sh(run));
      }
    }
  }
  if (ran < 8 || compared < 2)
    throw new Error(`only ${ran} commands and ${compared} files: was the section read?`);
  process.stdout.write(
    `\nREADME-literal: ${ran} commands run as printed, ${compared} files as shown, logged in.\n`,
  );
} finally {
  stopServer();
  rmSync(pack, { recursive: true, force: true });
  rmSync(home, { recursive: true, force: true });
}
