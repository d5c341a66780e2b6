import { build, type Plugin } from 'esbuild';
import { BUNDLE, CREDENTIALS_ALIAS, ESM_REQUIRE_BANNER } from '../infra/bundling.ts';

/**
 * esbuild with the stack's settings (infra/bundling.ts), so benchmarks measure what is
 * deployed. `lambdaCredentials` adds the env-only credential alias the function uses.
 */
export async function bundleLikeLambda(entry: string, outfile: string, options: { lambdaCredentials?: boolean; plugins?: Plugin[] } = {}): Promise<void> {
  await build({
    entryPoints: [entry],
    outfile,
    bundle: true,
    ...BUNDLE,
    mainFields: [...BUNDLE.mainFields],
    external: [...BUNDLE.external],
    banner: { js: ESM_REQUIRE_BANNER },
    ...(options.lambdaCredentials ? { alias: { [CREDENTIALS_ALIAS.module]: CREDENTIALS_ALIAS.replacement } } : {}),
    ...(options.plugins ? { plugins: options.plugins } : {}),
    logLevel: 'silent',
  });
}
