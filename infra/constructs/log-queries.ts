import { Stack } from 'aws-cdk-lib';
import { type ILogGroup, QueryDefinition, QueryString } from 'aws-cdk-lib/aws-logs';
import { Construct } from 'constructs';
import { operationLogQueries } from '../log-queries.ts';

export interface OperationLogQueriesProps {
  readonly server: string;
  /** The collector's log group: every query reads it only. */
  readonly logGroup: ILogGroup;
  /**
   * DAILY_CALL_CAP, shown next to the day's calls.
   * @default - no cap column
   */
  readonly dailyCallCap?: number;
}

/**
 * The saved CloudWatch Logs Insights queries of one operation (free to keep; a run costs $0.005
 * per GB scanned), in the console's folder `{stack}/{server}/`.
 */
export class OperationLogQueries extends Construct {
  readonly definitions: QueryDefinition[];

  constructor(scope: Construct, id: string, props: OperationLogQueriesProps) {
    super(scope, id);
    const folder = `${Stack.of(this).stackName}/${props.server}`;
    this.definitions = operationLogQueries({ dailyCallCap: props.dailyCallCap }).map(
      (q) =>
        new QueryDefinition(this, q.name.replace(/[^A-Za-z0-9]+/g, '-'), {
          queryDefinitionName: `${folder}/${q.name}`,
          queryString: new QueryString(q.query),
          logGroups: [props.logGroup],
        }),
    );
  }
}
