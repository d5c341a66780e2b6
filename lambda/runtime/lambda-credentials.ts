/**
 * Stands in for `@aws-sdk/credential-provider-node` in the Lambda bundle only (an esbuild
 * alias in infra/bundling.ts). Lambda always hands the function its role's credentials in
 * environment variables, the first link of the SDK's default chain; the rest of the chain
 * (SSO, INI files, web identity, IMDS, login) is ~95 KB of bundle and cold start that a
 * Lambda run never uses. The CLI is not bundled and keeps the full chain.
 */
import { fromEnv } from '@aws-sdk/credential-provider-env';

export const defaultProvider = (_init?: unknown) => fromEnv();
