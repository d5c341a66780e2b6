import { runCli } from './local/run-cli.ts';

const code = await runCli(process.argv.slice(2), {
  env: process.env,
  io: { stdout: (t) => process.stdout.write(t), stderr: (t) => process.stderr.write(t), stderrIsTty: process.stderr.isTTY === true },
});
process.exitCode = code;
