import { Stack } from 'aws-cdk-lib';
import { type ILogGroup, QueryDefinition, QueryString } from 'aws-cdk-lib/aws-logs';
import { Construct } from 'constructs';
import { logQueries } from '../log-queries.ts';

export interface CollectorLogQueriesProps {
  /** The collectors' log group: every query reads it only. */
  readonly logGroup: ILogGroup;
}

/**
 * The saved CloudWatch Logs Insights queries over every operation (free to keep; a run costs
 * $0.005 per GB scanned), in the console's folder `{stack}/`: as many for a hundred operations
 * as for one.
 */
export class CollectorLogQueries extends Construct {
  readonly definitions: QueryDefinition[];

  constructor(scope: Construct, id: string, props: CollectorLogQueriesProps) {
    super(scope, id);
    const folder = Stack.of(this).stackName;
    this.definitions = logQueries().map(
      (q) =>
        new QueryDefinition(this, q.name.replace(/[^A-Za-z0-9]+/g, '-'), {
          queryDefinitionName: `${folder}/${q.name}`,
          queryString: new QueryString(q.query),
          logGroups: [props.logGroup],
        }),
    );
  }
}
