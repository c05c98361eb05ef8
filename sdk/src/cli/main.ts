/** The `ldm` command (sdk/bin/ldm.js loads this through tsx). */
import { runCli } from './run-cli';

const code = await runCli(process.argv.slice(2), {
  stdout: process.stdout,
  stderr: process.stderr,
  env: process.env,
  cwd: process.cwd(),
});
// exitCode, not exit(): lets stdout drain when it is a pipe.
process.exitCode = code;
