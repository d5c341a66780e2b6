// `npm start`'s entry, in plain JavaScript on purpose: Node strips the types of a .ts entry before
// any line of it runs, so with cli.ts as the entry every run loaded Node's TypeScript stripper
// (amaro) and stripped cli.ts afresh, about 40 ms before the first call, although every other
// module comes already stripped from the compile cache turned on here. The CLI itself is cli.ts.
import { enableCompileCache } from 'node:module';

// Node keeps the stripped and compiled modules in its cache folder (os.tmpdir()): a run after
// the first starts its first call about 180 ms sooner. Before any import of ours, which is why
// cli.ts is imported below rather than at the top.
enableCompileCache();

await import('./cli.ts');
