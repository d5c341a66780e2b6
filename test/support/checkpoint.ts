import type { CheckpointInput } from '../../lambda/domain/checkpoint.ts';

/** A checkpoint of a store with nothing pending: no job, no day owed, no failure; `patch` sets the rest. */
export function blankCheckpoint(operation: string, timeZone: string, patch: Partial<CheckpointInput> = {}): CheckpointInput {
  return {
    version: 1,
    operation,
    timezone: timeZone,
    next_window: null,
    live_from: null,
    token_limit_until: null,
    failures: {},
    quarantined: [],
    restate_next: null,
    backfills: [],
    budget: null,
    days_dirty: [],
    verify_days: {},
    searches: {},
    quiet_since: null,
    late_share: null,
    updated_at: new Date().toISOString(),
    ...patch,
  };
}
