import type { S3Client } from '@aws-sdk/client-s3';
import { AwsSetupError } from '../domain/errors.ts';

/** Fails before any API call when the region or the credentials do not resolve. */
export async function checkAws(client: S3Client, bucket: string): Promise<void> {
  try {
    await client.config.region();
  } catch (cause) {
    throw new AwsSetupError(`--bucket ${bucket}: no AWS region is configured (set AWS_REGION, or a region in your AWS profile): ${(cause as Error).message}`, { bucket }, { cause });
  }
  try {
    await client.config.credentials();
  } catch (cause) {
    throw new AwsSetupError(`--bucket ${bucket}: AWS credentials do not resolve (set AWS_PROFILE, or AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY): ${(cause as Error).message}`, { bucket }, { cause });
  }
}
