/**
 * A small evaluator of the multi-time-series alarms the stack makes: a Metrics Insights query of
 * the one form `SELECT FN(Metric) FROM SCHEMA("Namespace", dim) GROUP BY dim ORDER BY FN() DESC`
 * (anything else is refused, so a query the stack changes must be looked at again here), over
 * the datapoints the handler emitted, with the alarm's period, threshold and missing-data rule.
 * It answers which contributors (values of `dim`) are in ALARM, as CloudWatch names them.
 */

/** A value the handler sent: one metric of one EMF document, at the run's time. */
export interface Datapoint {
  readonly namespace: string;
  readonly metric: string;
  readonly dimensions: Readonly<Record<string, string>>;
  readonly value: number;
  readonly at: number;
}

export interface EmfDocument {
  readonly _aws: { readonly CloudWatchMetrics: readonly { readonly Namespace: string; readonly Dimensions: readonly (readonly string[])[]; readonly Metrics: readonly { readonly Name: string }[] }[] };
  readonly [key: string]: unknown;
}

/** The datapoints of EMF documents printed by a run at `at`. */
export function datapointsOf(docs: readonly EmfDocument[], at: number): Datapoint[] {
  return docs.flatMap((doc) =>
    doc._aws.CloudWatchMetrics.flatMap((set) =>
      set.Dimensions.flatMap((dims) =>
        set.Metrics.map((m) => ({
          namespace: set.Namespace,
          metric: m.Name,
          dimensions: Object.fromEntries(dims.map((d) => [d, String(doc[d])])),
          value: Number(doc[m.Name]),
          at,
        })),
      ),
    ),
  );
}

export interface QueryAlarm {
  readonly query: string;
  readonly periodSeconds: number;
  readonly threshold: number;
  readonly comparison: 'GreaterThanOrEqualToThreshold' | 'GreaterThanThreshold';
  readonly evaluationPeriods: number;
  readonly datapointsToAlarm: number;
  readonly treatMissingData: 'notBreaching' | 'breaching';
}

const AGGREGATE: Record<string, (values: number[]) => number> = {
  MAX: (v) => Math.max(...v),
  MIN: (v) => Math.min(...v),
  SUM: (v) => v.reduce((a, b) => a + b, 0),
  AVG: (v) => v.reduce((a, b) => a + b, 0) / v.length,
  COUNT: (v) => v.length,
};

/** The contributors in ALARM when the alarm is evaluated at `at`, sorted. */
export function contributorsInAlarm(alarm: QueryAlarm, datapoints: readonly Datapoint[], at: number): string[] {
  const form = /^SELECT (MAX|MIN|SUM|AVG|COUNT)\((\w+)\) FROM SCHEMA\("([^"]+)", (\w+)\) GROUP BY (\w+) ORDER BY (\w+)\(\) (?:DESC|ASC)$/.exec(alarm.query);
  if (!form) throw new Error(`not a query this evaluator knows: ${alarm.query}`);
  const [, fn, metric, namespace, schemaDim, groupDim, orderFn] = form as unknown as [string, string, string, string, string, string, string];
  if (groupDim !== schemaDim || orderFn !== fn) throw new Error(`grouping or ordering differs from the schema: ${alarm.query}`);
  const aggregate = AGGREGATE[fn]!;
  const periodMs = alarm.periodSeconds * 1000;
  // SCHEMA(ns, dim): exactly that dimension set.
  const matching = datapoints.filter((d) => d.namespace === namespace && d.metric === metric && Object.keys(d.dimensions).join() === schemaDim);
  const series = new Map<string, Datapoint[]>();
  for (const d of matching) series.set(d.dimensions[schemaDim]!, [...(series.get(d.dimensions[schemaDim]!) ?? []), d]);
  const lastPeriodEnd = Math.floor(at / periodMs) * periodMs;
  const breaches = (value: number) => (alarm.comparison === 'GreaterThanThreshold' ? value > alarm.threshold : value >= alarm.threshold);
  const inAlarm: string[] = [];
  for (const [contributor, points] of series) {
    let breaching = 0;
    for (let k = 1; k <= alarm.evaluationPeriods; k++) {
      const start = lastPeriodEnd - k * periodMs;
      const values = points.filter((p) => p.at >= start && p.at < start + periodMs).map((p) => p.value);
      if (values.length === 0 ? alarm.treatMissingData === 'breaching' : breaches(aggregate(values))) breaching += 1;
    }
    if (breaching >= alarm.datapointsToAlarm) inAlarm.push(contributor);
  }
  return inAlarm.sort();
}

/** The evaluator's view of a query alarm in a template (AWS::CloudWatch::Alarm properties). */
export function queryAlarmOf(props: Record<string, unknown>): QueryAlarm {
  const [query] = props.Metrics as { Expression: string; Period: number }[];
  return {
    query: query!.Expression,
    periodSeconds: query!.Period,
    threshold: props.Threshold as number,
    comparison: props.ComparisonOperator as QueryAlarm['comparison'],
    evaluationPeriods: props.EvaluationPeriods as number,
    datapointsToAlarm: (props.DatapointsToAlarm as number | undefined) ?? (props.EvaluationPeriods as number),
    treatMissingData: props.TreatMissingData as QueryAlarm['treatMissingData'],
  };
}
