import { Aws } from 'aws-cdk-lib';
import { CfnDatabase, CfnTable } from 'aws-cdk-lib/aws-glue';
import type { IBucket } from 'aws-cdk-lib/aws-s3';
import { Construct } from 'constructs';
import { type ColumnSpec, DATA_COLUMNS, FETCH_COLUMNS, PARTITION_COLUMNS } from '../../lambda/domain/columns.ts';
import { DATA_TABLE, FETCH_TABLE, tableRoot } from '../../lambda/domain/layout.ts';

/**
 * Hive's JSON SerDe. Athena documents that the OpenX SerDe can return non-deterministic
 * results on some inputs; the Hive one maps JSON keys to columns by name, case-insensitively.
 */
export const JSON_SERDE = 'org.apache.hive.hcatalog.data.JsonSerDe';
export const TEXT_INPUT_FORMAT = 'org.apache.hadoop.mapred.TextInputFormat';
export const TEXT_OUTPUT_FORMAT = 'org.apache.hadoop.hive.ql.io.HiveIgnoreKeyTextOutputFormat';

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
   * First date of the `dt` projection (yyyy-MM-dd).
   * @default '2020-01-01'
   */
  readonly projectionStartDate?: string;
  /**
   * Last date of the `dt` projection. One day ahead of UTC because an operation's wall-clock
   * date can run ahead of UTC (zones east of Greenwich).
   * @default 'NOW+1DAYS'
   */
  readonly projectionEndDate?: string;
}

/**
 * Glue database with the two tables the collector writes, `cdr_4` and `cdr_4_fetches`:
 * NDJSON read with the Hive JSON SerDe, partitions found by projection (no crawler, no
 * MSCK REPAIR), columns generated from lambda/domain/columns.ts.
 */
export class Catalog extends Construct {
  readonly database: CfnDatabase;
  readonly databaseName: string;
  readonly dataTable: CfnTable;
  readonly fetchTable: CfnTable;

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

    const projection = partitionProjection(props);
    this.dataTable = this.table('DataTable', DATA_TABLE, DATA_COLUMNS, 'One row per call-duration interval of each 5-minute window (latest collection of the window)', props, projection);
    this.fetchTable = this.table('FetchTable', FETCH_TABLE, FETCH_COLUMNS, 'One row per call to the Wolkvox API, including failures', props, projection);
  }

  private table(
    id: string,
    name: string,
    columns: readonly ColumnSpec[],
    description: string,
    props: CatalogProps,
    projection: Record<string, string>,
  ): CfnTable {
    const root = `s3://${props.bucket.bucketName}/${tableRoot(props.prefix, name)}`;
    const table = new CfnTable(this, id, {
      catalogId: Aws.ACCOUNT_ID,
      databaseName: props.databaseName,
      tableInput: {
        name,
        description,
        tableType: 'EXTERNAL_TABLE',
        parameters: {
          EXTERNAL: 'TRUE',
          classification: 'json',
          'projection.enabled': 'true',
          ...projection,
          'storage.location.template': `${root}${locationTemplateSuffix()}`,
        },
        partitionKeys: PARTITION_COLUMNS.map(glueColumn),
        storageDescriptor: {
          location: root,
          columns: columns.map(glueColumn),
          inputFormat: TEXT_INPUT_FORMAT,
          outputFormat: TEXT_OUTPUT_FORMAT,
          compressed: false,
          storedAsSubDirectories: false,
          serdeInfo: { serializationLibrary: JSON_SERDE, parameters: { 'serialization.format': '1' } },
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

/** `operation=${operation}/dt=${dt}/hour=${hour}/`: Athena substitutes the projected values. */
export function locationTemplateSuffix(): string {
  return `${PARTITION_COLUMNS.map((c) => `${c.name}=\${${c.name}}`).join('/')}/`;
}

/** Projection table parameters of every partition column in columns.ts. */
function partitionProjection(props: CatalogProps): Record<string, string> {
  const byColumn: Record<string, Record<string, string>> = {
    operation: { type: 'enum', values: props.operations.join(',') },
    dt: {
      type: 'date',
      format: 'yyyy-MM-dd',
      range: `${props.projectionStartDate ?? '2020-01-01'},${props.projectionEndDate ?? 'NOW+1DAYS'}`,
      interval: '1',
      'interval.unit': 'DAYS',
    },
    hour: { type: 'integer', range: '0,23', digits: '2' },
  };
  const params: Record<string, string> = {};
  for (const column of PARTITION_COLUMNS) {
    const spec = byColumn[column.name];
    if (spec === undefined) {
      throw new Error(`Partition column "${column.name}" (lambda/domain/columns.ts) has no projection in infra/constructs/catalog.ts`);
    }
    for (const [k, v] of Object.entries(spec)) params[`projection.${column.name}.${k}`] = v;
  }
  return params;
}
