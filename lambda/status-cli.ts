import { runStatus } from './local/run-status.ts';

process.exitCode = await runStatus(process.argv.slice(2), {
  env: process.env,
  io: { stdout: (text) => process.stdout.write(text), stderr: (text) => process.stderr.write(text) },
});
