import { once } from 'node:events';
import { runQuery } from './local/run-query.ts';

// A reader that stops early (`| head`) closes the pipe: that ends the output, not an error.
process.stdout.on('error', (error: NodeJS.ErrnoException) => {
  if (error.code === 'EPIPE') process.exit(0);
  throw error;
});

process.exitCode = await runQuery(process.argv.slice(2), {
  env: process.env,
  io: {
    // Waits while the pipe is full: a year of rows streams at the reader's pace, not into memory.
    stdout: async (text) => {
      if (!process.stdout.write(text)) await once(process.stdout, 'drain');
    },
    stderr: (text) => process.stderr.write(text),
  },
});
