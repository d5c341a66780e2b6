import { S3Client } from '@aws-sdk/client-s3';
import { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';

/**
 * One client of each kind per container: created at first use and reused by every
 * invocation, so TLS connections and credentials are reused too.
 */
let s3: S3Client | undefined;
let secrets: SecretsManagerClient | undefined;

export function s3Client(): S3Client {
  s3 ??= new S3Client({});
  return s3;
}

export function secretsClient(): SecretsManagerClient {
  secrets ??= new SecretsManagerClient({});
  return secrets;
}
