/**
 * Typed errors. `retryable` tells the collector whether a later attempt can succeed
 * (transient) or whether retrying only burns token budget (fatal). Messages carry the
 * window and the vendor's words, cleaned and cut where they entered (vendor-text.ts), never the token.
 */
export interface ErrorContext {
  readonly [key: string]: string | number | boolean | null | undefined;
}

export abstract class CollectorError extends Error {
  abstract readonly retryable: boolean;
  readonly context: ErrorContext;

  constructor(message: string, context: ErrorContext = {}, options?: { cause?: unknown }) {
    super(message, options);
    this.name = new.target.name;
    this.context = context;
  }
}

/** Bad environment, CLI arguments, CDK context or event: nothing to retry until a human fixes it. */
export class ConfigError extends CollectorError {
  readonly retryable = false;
}

/**
 * A backfill request outside its bounds (before the operation's first day, after now, longer
 * than the longest span, or one job too many in the queue): refused before any API call, and
 * the same request is refused again, so nothing to retry.
 */
export class BackfillRefusedError extends CollectorError {
  readonly retryable = false;
}

/** The token secret is missing, empty or malformed. */
export class SecretError extends CollectorError {
  readonly retryable = false;
}

/** The stored checkpoint cannot be read as a checkpoint of this operation. */
export class CheckpointError extends CollectorError {
  readonly retryable = false;
}

/** Writing or reading the sink failed (S3 or local disk). */
export class StorageError extends CollectorError {
  readonly retryable = true;
}

/**
 * Another collector of the same operation (the deployed Lambda, another CLI run) holds the
 * lease: this run makes no API call. Retryable: once it is done, a rerun goes ahead.
 */
export class LeaseHeldError extends CollectorError {
  readonly retryable = true;
}

/** AWS region or credentials do not resolve (CLI with --bucket): found before any API call. */
export class AwsSetupError extends CollectorError {
  readonly retryable = false;
}

/** The vendor API answered with an error or could not be reached. */
export abstract class WolkvoxError extends CollectorError {
  readonly httpStatus: number | null;
  readonly vendorMessage: string | null;

  constructor(message: string, details: { httpStatus?: number | null; vendorMessage?: string | null; context?: ErrorContext; cause?: unknown }) {
    super(message, details.context ?? {}, { cause: details.cause });
    this.httpStatus = details.httpStatus ?? null;
    this.vendorMessage = details.vendorMessage ?? null;
  }
}

/** 400 unknown api / missing parameters, 401 no token header: our bug or our configuration. */
export class WolkvoxRequestError extends WolkvoxError {
  readonly retryable = false;
}

/** 403 PLEASE VALIDATE TOKEN: re-read the secret once, then fail loudly. */
export class WolkvoxAuthError extends WolkvoxError {
  readonly retryable = false;
}

/** 403 TOKEN LIMIT EXCEEDED: no call can succeed until the next day. */
export class WolkvoxTokenLimitError extends WolkvoxError {
  readonly retryable = false;
}

/** 403 simultaneous requests: someone else is using the token; back off. */
export class WolkvoxConcurrencyError extends WolkvoxError {
  readonly retryable = true;
}

/** 403 for maintenance (or any other 403 the vendor does not document). */
export class WolkvoxUnavailableError extends WolkvoxError {
  readonly retryable = true;
}

/** 5xx, network failure or timeout. */
export class WolkvoxTransportError extends WolkvoxError {
  readonly retryable = true;
}

/**
 * The API's host name does not resolve (ENOTFOUND): a wrong WOLKVOX_SERVER or
 * WOLKVOX_BASE_URL far more often than a DNS outage, so it is not waited out.
 */
export class WolkvoxHostNotFoundError extends WolkvoxError {
  readonly retryable = false;
}

/**
 * No answer in time. The vendor may still be running the report, so the run stops here:
 * a retry now could be a second simultaneous request on the token.
 */
export class WolkvoxTimeoutError extends WolkvoxTransportError {}

/** An earlier request of ours timed out and may still be running at the vendor: wait. */
export class WolkvoxTokenBusyError extends WolkvoxError {
  readonly retryable = true;
}

/** A body that is not JSON (often a truncated transfer): retried on a later run. */
export class WolkvoxBadJsonError extends WolkvoxError {
  readonly retryable = true;
}

/** Valid JSON that is not a cdr_4 report, or a body code other than 200: retrying the same window gives the same answer. */
export class WolkvoxResponseError extends WolkvoxError {
  readonly retryable = false;
}

export function errorClass(error: unknown): string {
  if (error instanceof Error) return error.name;
  return 'UnknownError';
}
