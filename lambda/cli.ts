// Started by start.js, which turns Node's compile cache on first (see why there).

// First Ctrl-C (or SIGTERM): finish the window in flight, save progress, print the summary,
// exit 130. A second one quits at once: what is stored stays, the saved progress is at most
// 100 windows or 30 s behind it, and the rerun skips stored windows anyway.
let stopRequested = false;
// Aborted 2 s into a stop: a call still out then is abandoned (its window is fetched again by the rerun).
const abandon = new AbortController();
const onSignal = (signal: NodeJS.Signals) => {
  if (stopRequested) {
    process.stderr.write(`\n${signal} again: quitting now.\n`);
    process.exit(130);
  }
  stopRequested = true;
  process.stderr.write(`\n${signal}: stopping after the window in flight and saving progress (press Ctrl-C again to quit at once)...\n`);
  // A call still in flight 2 s later is abandoned rather than waited for (up to the request timeout).
  setTimeout(() => {
    abandon.abort();
    process.stderr.write('Still stopping: the call in flight is abandoned, the writes are landing; press Ctrl-C again to quit at once.\n');
  }, 2_000).unref();
};
process.on('SIGINT', onSignal);
process.on('SIGTERM', onSignal);

const { runCli } = await import('./local/run-cli.ts');
const code = await runCli(process.argv.slice(2), {
  env: process.env,
  io: { stdout: (t) => process.stdout.write(t), stderr: (t) => process.stderr.write(t), stderrIsTty: process.stderr.isTTY === true },
  shouldStop: () => stopRequested,
  stopSignal: abandon.signal,
});
process.exitCode = code;
