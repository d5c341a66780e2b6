import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { Aws, Duration, RemovalPolicy, Stack } from 'aws-cdk-lib';
import { AnyPrincipal, Effect, PolicyDocument, PolicyStatement, Role, ServicePrincipal } from 'aws-cdk-lib/aws-iam';
import { Architecture, Runtime } from 'aws-cdk-lib/aws-lambda';
import { SqsDestination } from 'aws-cdk-lib/aws-lambda-destinations';
import { NodejsFunction, OutputFormat } from 'aws-cdk-lib/aws-lambda-nodejs';
import type { ILogGroup } from 'aws-cdk-lib/aws-logs';
import type { IBucket } from 'aws-cdk-lib/aws-s3';
import { type CfnSecret, type ISecret, Secret } from 'aws-cdk-lib/aws-secretsmanager';
import type { IQueue } from 'aws-cdk-lib/aws-sqs';
import { NagSuppressions } from 'cdk-nag';
import { Construct } from 'constructs';
import { checkpointKey, DAILY_TABLE, DATA_TABLE, FETCH_TABLE, tableRoot, VERIFICATION_TABLE } from '../../lambda/domain/layout.ts';
import { LAMBDA_ENV, METRICS_NAMESPACE, SERVICE_NAME } from '../../lambda/domain/metrics.ts';
import { putTokenCommand } from '../../lambda/domain/token.ts';
import { BUNDLE, CREDENTIALS_ALIAS, ESM_REQUIRE_BANNER } from '../bundling.ts';

/** Root of the repository (holds package-lock.json), the project root of the bundle. */
export const REPO_ROOT = fileURLToPath(new URL('../../', import.meta.url));
/** The collector's entry point (written in lambda/, exports `handler`). */
export const HANDLER_ENTRY = fileURLToPath(new URL('../../lambda/handler.ts', import.meta.url));

/** Value of POWERTOOLS_SERVICE_NAME (the handler's Logger and Metrics use the same name). */
export { SERVICE_NAME };

/** Default memory of the collector function (MB); the cost model in bench/ reads it. */
export const DEFAULT_MEMORY_MB = 256;


export interface CollectorFunctionProps {
  /** Wolkvox server nomenclature of the operation. */
  readonly server: string;
  /** IANA time zone of the operation wall clock. */
  readonly timezone: string;
  /** wolkvox:firstDay, `YYYY-MM-DD` (FIRST_DAY): the function refuses a backfill request that starts before it. */
  readonly firstDay: string;
  /**
   * Name of an existing secret holding the token (plain string or `{"token": "..."}`).
   * @default - a new, empty secret is created; fill it with the command in `putSecretValueCommand`
   */
  readonly tokenSecretName?: string;
  /**
   * Minutes to wait after a window ends before collecting it (SETTLE_MINUTES).
   * @default - not set: the collector's own default applies (5 minutes)
   */
  readonly settleMinutes?: number;
  /**
   * Minutes after a window's end at which it is re-collected once for late calls (RESTATE_AFTER_MINUTES); 0 turns it off.
   * @default - not set: the collector's own default applies (90 minutes)
   */
  readonly restateAfterMinutes?: number;
  /**
   * Daily cap of API calls for this collector (DAILY_CALL_CAP); live windows keep priority over history.
   * @default - not set: no cap of our own (the vendor's daily limit still applies)
   */
  readonly dailyCallCap?: number;
  /**
   * Kept of the token's daily limit for other integrations (TOKEN_RESERVE), as the collector reads it: `20%` or `200` (calls).
   * @default - not set: the collector's own default applies (20% of the token's limit)
   */
  readonly tokenReserve?: string;
  /**
   * Verification's and reconciliation's share of an operation day's calls (CHECK_SHARE).
   * @default - not set: the collector's own default applies (0.5)
   */
  readonly checkShare?: number;
  /**
   * Minutes between readings of the token's allowance, token_info (TOKEN_INFO_EVERY_MINUTES).
   * @default - not set: the collector's own default applies (60)
   */
  readonly tokenInfoEveryMinutes?: number;
  /**
   * Days without a call in any answer before the report is suspicious and ReportSilent fires (SILENT_DAYS).
   * @default - not set: the collector's own default applies (7)
   */
  readonly silentDays?: number;
  /** Bucket the collector writes to. */
  readonly bucket: IBucket;
  /** Key prefix of everything the collector writes (DATA_PREFIX); not empty (the collector reads an empty value as unset). */
  readonly prefix: string;
  /** Where failed (or expired) asynchronous invocations are sent. */
  readonly failureQueue: IQueue;
  /**
   * Entry file of the handler.
   * @default lambda/handler.ts
   */
  readonly entry?: string;
  /**
   * Timeout: must stay under the 5-minute schedule period so that runs never overlap.
   * @default Duration.minutes(4)
   */
  readonly timeout?: Duration;
  /**
   * Memory in MB.
   * @default 256
   */
  readonly memorySize?: number;
  /**
   * Maximum age of an asynchronous event (also how long a throttled tick waits for the running
   * one). The next tick catches up from the checkpoint anyway.
   * @default Duration.minutes(4)
   */
  readonly maxEventAge?: Duration;
  /** Where the function logs: one log group shared by every operation (each line names its operation). */
  readonly logGroup: ILogGroup;
  /**
   * Namespace of the metrics the collector sends (POWERTOOLS_METRICS_NAMESPACE).
   * @default METRICS_NAMESPACE
   */
  readonly metricsNamespace?: string;
}

/** The S3 key prefixes of one operation, each ending in `/`. */
export interface OperationPrefixes {
  /** `{prefix}/cdr_4/operation={server}/`: one object per window. */
  readonly data: string;
  /** `{prefix}/cdr_4_fetches/operation={server}/`: one object per API call. */
  readonly fetches: string;
  /** `{prefix}/cdr_4_daily/operation={server}/`: one Parquet object per day. */
  readonly daily: string;
  /** `{prefix}/cdr_4_verifications/operation={server}/`: one object per record of a day's completeness. */
  readonly verifications: string;
  /** `{prefix}/_state/cdr_4/operation={server}/`: checkpoint and lease. */
  readonly state: string;
}

/**
 * The S3 key prefixes one operation writes under. The function's role may get, put and delete
 * objects only below these.
 */
export function operationPrefixes(prefix: string, server: string): OperationPrefixes {
  const checkpoint = checkpointKey(prefix, server);
  return {
    data: `${tableRoot(prefix, DATA_TABLE)}operation=${server}/`,
    fetches: `${tableRoot(prefix, FETCH_TABLE)}operation=${server}/`,
    daily: `${tableRoot(prefix, DAILY_TABLE)}operation=${server}/`,
    verifications: `${tableRoot(prefix, VERIFICATION_TABLE)}operation=${server}/`,
    state: checkpoint.slice(0, checkpoint.lastIndexOf('/') + 1),
  };
}

/**
 * The token secret's resource policy: GetSecretValue is denied to every principal but the
 * operation's collector role and the account's root user (break-glass). A principal of the account
 * granted `secretsmanager:GetSecretValue` on `*` (another operation's collector, a broad admin or
 * read-only role) then cannot read the token; an explicit deny wins over any allow. Only reading is
 * denied: putting a value, describing and deleting the secret, and changing this policy stay with
 * the account's IAM policies (CloudFormation must still update and delete the secret).
 */
export function tokenReadersOnlyStatement(collectorRoleArn: string): PolicyStatement {
  return new PolicyStatement({
    sid: 'OnlyItsCollectorReadsTheToken',
    effect: Effect.DENY,
    principals: [new AnyPrincipal()],
    actions: ['secretsmanager:GetSecretValue'],
    resources: ['*'],
    conditions: { ArnNotEquals: { 'aws:PrincipalArn': [collectorRoleArn, `arn:${Aws.PARTITION}:iam::${Aws.ACCOUNT_ID}:root`] } },
  });
}

/** S3 object actions of the collector on its own prefixes: conditional writes (If-None-Match, If-Match) need nothing beyond PutObject. */
export const OBJECT_ACTIONS = ['s3:GetObject', 's3:PutObject'] as const;

/**
 * The collector Lambda function of one operation, with its token secret and a least-privilege
 * role that reads that secret only. Invoked asynchronously by its schedule: no retries (the next
 * tick resumes from the checkpoint), failures go to `failureQueue`.
 */
export class CollectorFunction extends Construct {
  readonly function: NodejsFunction;
  readonly role: Role;
  readonly logGroup: ILogGroup;
  readonly secret: ISecret;
  /** True when this construct created the secret (it starts empty). */
  readonly secretCreated: boolean;
  /** Value of WOLKVOX_TOKEN_SECRET_ID: the secret's ARN when created here, its name when imported. */
  readonly secretId: string;
  /** Shell command that stores the token (from $WOLKVOX_TOKEN, on standard input) in the secret. */
  readonly putSecretValueCommand: string;
  /**
   * The resource policy of the token secret ({@link tokenReadersOnlyStatement}): set on a created
   * secret; an imported one is not this stack's to change, so its owner applies it
   * (`TokenSecretPolicyCommand<server>`).
   */
  readonly secretPolicy: PolicyDocument;
  /** The function's timeout. */
  readonly timeout: Duration;

  constructor(scope: Construct, id: string, props: CollectorFunctionProps) {
    super(scope, id);
    const { server } = props;
    const entry = props.entry ?? HANDLER_ENTRY;
    this.timeout = props.timeout ?? Duration.minutes(4);

    if (props.tokenSecretName !== undefined) {
      this.secret = Secret.fromSecretNameV2(this, 'TokenSecret', props.tokenSecretName);
      this.secretCreated = false;
      this.secretId = props.tokenSecretName;
    } else {
      const secret = new Secret(this, 'TokenSecret', {
        description: `Wolkvox API token of operation ${server} (plain token or {"token":"..."}). Created empty by ${Stack.of(this).stackName}.`,
        // Deleted with the stack: the token can be re-issued in the Wolkvox console, unlike the
        // data, which the bucket retains.
        removalPolicy: RemovalPolicy.DESTROY,
      });
      // Created EMPTY: the L2 construct would otherwise generate a random password, which the
      // collector would take for a token and send to the vendor. With neither
      // GenerateSecretString nor SecretString, CloudFormation creates a secret with no value.
      (secret.node.defaultChild as CfnSecret).generateSecretString = undefined;
      NagSuppressions.addResourceSuppressions(secret, [
        {
          id: 'AwsSolutions-SMG4',
          reason:
            'The secret holds a Wolkvox API token issued by the vendor console; there is no API to rotate it, so a rotation Lambda could not do anything. It is replaced by hand with put-secret-value.',
        },
      ]);
      this.secret = secret;
      this.secretCreated = true;
      this.secretId = secret.secretArn;
    }
    this.putSecretValueCommand = putTokenCommand(this.secretId, Aws.REGION);

    this.logGroup = props.logGroup;

    // Own role, no AWSLambdaBasicExecutionRole: logs go to the collectors' log group only.
    this.role = new Role(this, 'Role', {
      assumedBy: new ServicePrincipal('lambda.amazonaws.com'),
      description: `Collector of Wolkvox operation ${server}`,
    });
    this.logGroup.grantWrite(this.role);
    this.secret.grantRead(this.role);
    const onlyItsReaders = tokenReadersOnlyStatement(this.role.roleArn);
    this.secretPolicy = new PolicyDocument({ statements: [onlyItsReaders] });
    if (this.secretCreated) this.secret.addToResourcePolicy(onlyItsReaders);
    const prefixes = Object.values(operationPrefixes(props.prefix, server));
    const objectArns = prefixes.map((p) => props.bucket.arnForObjects(`${p}*`));
    // No DeleteObject: the collector never deletes (its lease is given back by a conditional
    // write that expires it), so nothing collected can be deleted by it.
    this.role.addToPrincipalPolicy(
      new PolicyStatement({ sid: 'OwnPrefixesReadWrite', effect: Effect.ALLOW, actions: [...OBJECT_ACTIONS], resources: objectArns }),
    );
    // Without s3:ListBucket, S3 answers 403 AccessDenied instead of 404 NoSuchKey for a missing
    // key, and the first run (no checkpoint yet) could not tell "absent" from "forbidden". It
    // reveals key names only, never content. No s3:prefix condition: S3 does not document
    // whether such a condition is honoured by its 404-vs-403 decision, so it could bring the 403 back.
    this.role.addToPrincipalPolicy(
      new PolicyStatement({ sid: 'ListForNotFound', effect: Effect.ALLOW, actions: ['s3:ListBucket'], resources: [props.bucket.bucketArn] }),
    );

    const environment: Record<string, string> = {
      [LAMBDA_ENV.server]: server,
      [LAMBDA_ENV.timeZone]: props.timezone,
      [LAMBDA_ENV.tokenSecretId]: this.secretId,
      [LAMBDA_ENV.bucket]: props.bucket.bucketName,
      [LAMBDA_ENV.prefix]: props.prefix,
      [LAMBDA_ENV.firstDay]: props.firstDay,
      POWERTOOLS_SERVICE_NAME: SERVICE_NAME,
      POWERTOOLS_METRICS_NAMESPACE: props.metricsNamespace ?? METRICS_NAMESPACE,
    };
    if (props.settleMinutes !== undefined) environment[LAMBDA_ENV.settleMinutes] = String(props.settleMinutes);
    if (props.restateAfterMinutes !== undefined) environment[LAMBDA_ENV.restateAfterMinutes] = String(props.restateAfterMinutes);
    if (props.dailyCallCap !== undefined) environment[LAMBDA_ENV.dailyCallCap] = String(props.dailyCallCap);
    if (props.tokenReserve !== undefined) environment[LAMBDA_ENV.tokenReserve] = props.tokenReserve;
    if (props.checkShare !== undefined) environment[LAMBDA_ENV.checkShare] = String(props.checkShare);
    if (props.tokenInfoEveryMinutes !== undefined) environment[LAMBDA_ENV.tokenInfoEveryMinutes] = String(props.tokenInfoEveryMinutes);
    if (props.silentDays !== undefined) environment[LAMBDA_ENV.silentDays] = String(props.silentDays);

    if (!existsSync(entry)) {
      throw new Error(`Collector handler not found at ${entry}: the function bundles lambda/handler.ts (exporting "handler").`);
    }

    this.function = new NodejsFunction(this, 'Function', {
      entry,
      handler: 'handler',
      projectRoot: REPO_ROOT,
      depsLockFilePath: `${REPO_ROOT}package-lock.json`,
      description: `Collects the Wolkvox cdr_4 report of operation ${server} every 5 minutes`,
      runtime: Runtime.NODEJS_24_X,
      architecture: Architecture.ARM_64,
      memorySize: props.memorySize ?? DEFAULT_MEMORY_MB,
      timeout: this.timeout,
      // One run at a time per operation: runs share a checkpoint and a token budget.
      reservedConcurrentExecutions: 1,
      retryAttempts: 0,
      maxEventAge: props.maxEventAge ?? Duration.minutes(4),
      onFailure: new SqsDestination(props.failureQueue),
      role: this.role,
      logGroup: this.logGroup,
      environment,
      bundling: {
        forceDockerBundling: false,
        format: OutputFormat.ESM,
        target: BUNDLE.target,
        mainFields: [...BUNDLE.mainFields],
        banner: ESM_REQUIRE_BANNER,
        minify: BUNDLE.minify,
        keepNames: BUNDLE.keepNames,
        sourceMap: BUNDLE.sourcemap,
        // Bundle the AWS SDK (pinned by package-lock.json) instead of using the runtime's copy.
        bundleAwsSDK: true,
        // If the handler ever imported DuckDB, the bundle would keep the import and the asset test would catch it.
        externalModules: [...BUNDLE.external],
        esbuildArgs: { [`--alias:${CREDENTIALS_ALIAS.module}`]: CREDENTIALS_ALIAS.replacement },
      },
    });

    // On the role's policy document itself, where the wildcards are.
    NagSuppressions.addResourceSuppressions(
      this.role.node.findChild('DefaultPolicy'),
      [
        {
          id: 'AwsSolutions-IAM5',
          reason:
            "Object ARNs need a wildcard for the keys below a prefix; each wildcard is confined to this operation's own data, fetch-log, daily, verification or state prefix.",
          // The bucket's ARN is `<LogicalId.Arn>` in the bucket's stack, an export name in an operation stack.
          appliesTo: prefixes.map((p) => ({ regex: `/^Resource::(<[A-Za-z0-9]+\\.Arn>|[A-Za-z0-9-]+:ExportsOutputFnGetAtt[A-Za-z0-9]+)\\/${escapeRegex(p)}\\*$/` })),
        },
      ],
      true,
    );
  }
}

function escapeRegex(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&');
}
