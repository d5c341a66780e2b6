/**
 * The simulator alone, from a shell: `npm run simulator -- --help` for its flags. It runs
 * until Ctrl-C; every bad flag or value, and a port in use, is one line on stderr and exit 2.
 */
import { ConfigError } from '../../lambda/domain/errors.ts';
import { parseSimulatorArgs, SIMULATOR_USAGE } from './command-line.ts';
import { startSimulator } from './index.ts';

function fail(message: string): never {
  process.stderr.write(`error: ${message}\n`);
  process.exit(2);
}

let command;
try {
  command = parseSimulatorArgs(process.argv.slice(2));
} catch (error) {
  fail(error instanceof ConfigError ? error.message : String(error));
}
if (command.help) {
  process.stdout.write(`${SIMULATOR_USAGE}\n`);
  process.exit(0);
}

const { port } = command.options;
const sim = await startSimulator(command.options).catch((error: NodeJS.ErrnoException) => {
  if (error.code === 'EADDRINUSE') fail(`port ${port} is in use on 127.0.0.1 (another simulator?); choose another with --port, or --port 0 for any free one`);
  if (error.code === 'EACCES') fail(`port ${port} may not be opened by this user; choose one above 1023 with --port`);
  fail(error.message);
});

const server = command.options.server ?? '0032';
// A local test token the operator chose (or the default): printing it is the point.
process.stdout.write(
  [
    `wolkvox simulator listening on ${sim.origin} (operation ${server}, token ${command.token}); Ctrl-C stops it`,
    `collect from it:  WOLKVOX_BASE_URL=${sim.origin} WOLKVOX_TOKEN=${command.token} WOLKVOX_SERVER=${server} npm start`,
    `or ask it:        curl -H 'wolkvox-token: ${command.token}' '${sim.origin}/api/v2/reports_manager.php?api=cdr_4&date_ini=20260101080000&date_end=20260101085959'`,
    '',
  ].join('\n'),
);

const stop = (): void => {
  void sim.close().then(() => process.exit(0));
};
process.on('SIGINT', stop);
process.on('SIGTERM', stop);
