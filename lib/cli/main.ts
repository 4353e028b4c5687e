#!/usr/bin/env node
// The `larder` command line: see `larder --help` and docs/cli.md.
import { runCli } from './run.js';

process.exitCode = await runCli(process.argv.slice(2), {
  stdout: process.stdout,
  stderr: process.stderr,
  stdin: process.stdin,
  env: process.env,
});
