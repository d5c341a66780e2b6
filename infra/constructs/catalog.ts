import { Aws } from 'aws-cdk-lib';
import { CfnDatabase, CfnTable } from 'aws-cdk-lib/aws-glue';
import type { IBucket } from 'aws-cdk-lib/aws-s3';
import { Construct } from 'constructs';
import { type ColumnSpec, PARTITION_COLUMNS, tableColumns } from '../../lambda/domain/columns.ts';
import { DAILY_TABLE, DATA_TABLE, FETCH_TABLE, tableRoot, VERIFICATION_TABLE } from '../../lambda/domain/layout.ts';

/**
 * Hive's JSON SerDe. Athena documents that the OpenX SerDe can return non-deterministic
 * results on some inputs; the Hive one maps JSON keys to columns by name, case-insensitively.
 */
export const JSON_SERDE = 'org.apache.hive.hcatalog.data.JsonSerDe';
export const TEXT_INPUT_FORMAT = 'org.apache.hadoop.mapred.TextInputFormat';
export const TEXT_OUTPUT_FORMAT = 'org.apache.hadoop.hive.ql.io.HiveIgnoreKeyTextOutputFormat';

export const PARQUET_SERDE = 'org.apache.hadoop.hive.ql.io.parquet.serde.ParquetHiveSerDe';
export const PARQUET_INPUT_FORMAT = 'org.apache.hadoop.hive.ql.io.parquet.MapredParquetInputFormat';
export const PARQUET_OUTPUT_FORMAT = 'org.apache.hadoop.hive.ql.io.parquet.MapredParquetOutputFormat';

/** How a table's objects are stored: what Glue calls the classification, SerDe and formats. */
interface StorageFormat {
  readonly classification: string;
  readonly serde: string;
  readonly serdeParameters: Record<string, string>;
  readonly inputFormat: string;
  readonly outputFormat: string;
}

const NDJSON: StorageFormat = {
  classification: 'json',
  serde: JSON_SERDE,
  serdeParameters: { 'serialization.format': '1' },
  inputFormat: TEXT_INPUT_FORMAT,
  outputFormat: TEXT_OUTPUT_FORMAT,
};

const PARQUET: StorageFormat = {
  classification: 'parquet',
  serde: PARQUET_SERDE,
  serdeParameters: { 'serialization.format': '1' },
  inputFormat: PARQUET_INPUT_FORMAT,
  outputFormat: PARQUET_OUTPUT_FORMAT,
};

interface TableSpec {
  readonly id: string;
  readonly name: string;
  readonly description: string;
}

export interface CatalogProps {
  /** Bucket the collector writes to. */
  readonly bucket: IBucket;
  /** Key prefix of the collector (DATA_PREFIX). */
  readonly prefix: string;
  /** Glue database name (lower case, digits, underscores). */
  readonly databaseName: string;
  /** Configured servers: the values of the `operation` enum projection. */
  readonly operations: readonly string[];
  /**
   * First date of the `dt` projection (yyyy-MM-dd): the first day of data, normally the start of
   * the first backfill. No default: every day from it on is listed by a query without a `dt`
   * filter, so a start far before the data makes such queries visit thousands of empty prefixes.
   */
  readonly projectionStartDate: string;
  /**
   * Last date of the `dt` projection. One day ahead of UTC because an operation's wall-clock
   * date can run ahead of UTC (zones east of Greenwich).
   * @default 'NOW+1DAYS'
   */
  readonly projectionEndDate?: string;
}

/**
 * Glue database with the four tables the collector writes: `cdr_4` and `cdr_4_fetches`
 * (NDJSON read with the Hive JSON SerDe, one object per window or API call), `cdr_4_daily`
 * (one Parquet object per operation and day) and `cdr_4_verifications` (NDJSON, one object per
 * record of a day's completeness). Partitions are found by projection (no crawler, no MSCK
 * REPAIR); columns are generated from lambda/domain/columns.ts.
 */
export class Catalog extends Construct {
  readonly database: CfnDatabase;
  readonly databaseName: string;
  readonly dataTable: CfnTable;
  readonly fetchTable: CfnTable;
  readonly dailyTable: CfnTable;
  readonly verificationTable: CfnTable;

  constructor(scope: Construct, id: string, props: CatalogProps) {
    super(scope, id);
    this.databaseName = props.databaseName;
    this.database = new CfnDatabase(this, 'Database', {
      catalogId: Aws.ACCOUNT_ID,
      databaseInput: {
        name: props.databaseName,
        description: 'Wolkvox cdr_4 call-duration report, collected every 5 minutes',
      },
    });

    this.dataTable = this.table(props, {
      id: 'DataTable',
      name: DATA_TABLE,
      description: 'One row per call-duration interval of each 5-minute window (latest collection of the window)',
    });
    this.fetchTable = this.table(props, {
      id: 'FetchTable',
      name: FETCH_TABLE,
      description: 'One row per call to the Wolkvox API, including failures',
    });
    this.dailyTable = this.table(props, {
      id: 'DailyTable',
      name: DAILY_TABLE,
      description: 'The cdr_4 rows of one operation day in one Parquet object: the table for queries over more than one day',
    });
    this.verificationTable = this.table(props, {
      id: 'VerificationTable',
      name: VERIFICATION_TABLE,
      description: "One row per record of a day's completeness (pending, changed, verified); the latest row of a day says where it stands",
    });
  }

  private table(props: CatalogProps, spec: TableSpec): CfnTable {
    const { columns, partitions, format: stored } = tableColumns(spec.name);
    const format = stored === 'parquet' ? PARQUET : NDJSON;
    const root = `s3://${props.bucket.bucketName}/${tableRoot(props.prefix, spec.name)}`;
    const table = new CfnTable(this, spec.id, {
      catalogId: Aws.ACCOUNT_ID,
      databaseName: props.databaseName,
      tableInput: {
        name: spec.name,
        description: spec.description,
        tableType: 'EXTERNAL_TABLE',
        parameters: {
          EXTERNAL: 'TRUE',
          classification: format.classification,
          'projection.enabled': 'true',
          ...partitionProjection(props, partitions),
          'storage.location.template': `${root}${locationTemplateSuffix(partitions)}`,
        },
        partitionKeys: partitions.map(glueColumn),
        storageDescriptor: {
          location: root,
          columns: columns.map(glueColumn),
          inputFormat: format.inputFormat,
          outputFormat: format.outputFormat,
          compressed: false,
          storedAsSubDirectories: false,
          serdeInfo: { serializationLibrary: format.serde, parameters: format.serdeParameters },
        },
      },
    });
    table.addResourceDependency(this.database);
    return table;
  }
}

function glueColumn(c: ColumnSpec): CfnTable.ColumnProperty {
  return { name: c.name, type: c.type, comment: c.comment };
}

/**
 * `operation=${operation}/dt=${dt}/hour=${hour}/` (or without hour for the per-day tables): Athena
 * substitutes the projected values.
 */
export function locationTemplateSuffix(partitionColumns: readonly ColumnSpec[] = PARTITION_COLUMNS): string {
  return `${partitionColumns.map((c) => `${c.name}=\${${c.name}}`).join('/')}/`;
}

/** Projection table parameters of the given partition columns (of columns.ts). */
function partitionProjection(props: CatalogProps, partitionColumns: readonly ColumnSpec[]): Record<string, string> {
  const byColumn: Record<string, Record<string, string>> = {
    operation: { type: 'enum', values: props.operations.join(',') },
    dt: {
      type: 'date',
      format: 'yyyy-MM-dd',
      range: `${props.projectionStartDate},${props.projectionEndDate ?? 'NOW+1DAYS'}`,
      interval: '1',
      'interval.unit': 'DAYS',
    },
    hour: { type: 'integer', range: '0,23', digits: '2' },
  };
  const params: Record<string, string> = {};
  for (const column of partitionColumns) {
    const spec = byColumn[column.name];
    if (spec === undefined) {
      throw new Error(`Partition column "${column.name}" (lambda/domain/columns.ts) has no projection in infra/constructs/catalog.ts`);
    }
    for (const [k, v] of Object.entries(spec)) params[`projection.${column.name}.${k}`] = v;
  }
  return params;
}
