/** Loaded with `node --import` into a CLI the bench times: its peak RSS on stderr as it exits. */
process.on('exit', () => process.stderr.write(`peak_rss_kb=${process.resourceUsage().maxRSS}\n`));
