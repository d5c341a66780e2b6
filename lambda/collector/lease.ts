/**
 * One collector per operation: a lease object under `_state/` that a run takes before its
 * first API call, renews while it works and gives back at the end. It keeps a CLI run and
 * the deployed Lambda (or two CLI runs) from using the token at the same time or racing
 * on the checkpoint. Reserved concurrency 1 already keeps Lambda runs apart; this covers
 * everything else that writes to the same store.
 */
import { hostname } from 'node:os';
import * as z from 'zod/mini';
import { LeaseHeldError } from '../domain/errors.ts';
import { leaseKey } from '../domain/layout.ts';
import { JSON_TYPE } from '../storage/object-store.ts';
import type { LeaseStore } from '../storage/lease-store.ts';

export interface LeaseHolder {
  readonly kind: 'cli' | 'lambda';
  readonly host: string;
  readonly pid: number;
  /** Distinguishes two runs of one process (tests, a warm Lambda container). */
  readonly run: string;
}

const leaseSchema = z.object({
  holder: z.object({ kind: z.enum(['cli', 'lambda']), host: z.string(), pid: z.int(), run: z.string() }),
  acquired_at: z.iso.datetime(),
  expires_at: z.iso.datetime(),
});

type LeaseBody = z.infer<typeof leaseSchema>;

export interface Lease {
  /** Extends the lease; throws LeaseHeldError when another run took it over meanwhile. */
  renew(): Promise<void>;
  /** Whether a renewal is due (half the time to live has passed since the last one). */
  renewDue(): boolean;
  /** Gives the lease back (expires it now), so the next run need not wait for it to lapse. */
  release(): Promise<void>;
}

export interface LeaseOptions {
  readonly store: LeaseStore;
  readonly prefix: string;
  readonly operation: string;
  readonly holder: LeaseHolder;
  readonly clock: () => number;
  /**
   * How long a lease lasts without renewal. Long enough to cover one request (the vendor
   * runs a report for up to 60 s) plus its writes; short enough that a crashed run's lease
   * lapses before the schedule's next run but one.
   * @default 180_000
   */
  readonly ttlMs?: number;
  /** Whether a process of this host is still running; a CLI lease of a dead process is taken over at once. */
  readonly processAlive?: (pid: number) => boolean;
}

export const DEFAULT_LEASE_TTL_MS = 180_000;

export function cliHolder(run: string): LeaseHolder {
  return { kind: 'cli', host: hostname(), pid: process.pid, run };
}

function processAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

function parseLease(text: string): LeaseBody | undefined {
  try {
    const parsed = leaseSchema.safeParse(JSON.parse(text));
    return parsed.success ? parsed.data : undefined;
  } catch {
    return undefined;
  }
}

function describeHolder(h: LeaseHolder): string {
  return h.kind === 'lambda' ? `the Lambda function (${h.host})` : `a CLI run (pid ${h.pid} on ${h.host})`;
}

/**
 * Takes the lease or throws LeaseHeldError naming who holds it and until when. A lease
 * whose time has passed, an unreadable one, or one of a dead CLI process on this host is
 * taken over; the take-over is a conditional write, so of two runs racing for it one wins.
 */
export async function acquireLease(o: LeaseOptions): Promise<Lease> {
  const key = leaseKey(o.prefix, o.operation);
  const now = o.clock();
  return heldLease(o, key, now, await takeOver(o, key, now));
}

/** The lease's body as this holder writes it: acquired then, lapsing `ttl` after this write unless renewed. */
function leaseBody(o: LeaseOptions, acquiredAt: number, expiresAt = o.clock() + (o.ttlMs ?? DEFAULT_LEASE_TTL_MS)): string {
  return `${JSON.stringify({ holder: o.holder, acquired_at: new Date(acquiredAt).toISOString(), expires_at: new Date(expiresAt).toISOString() } satisfies LeaseBody)}\n`;
}

/** Writes the lease if it is free (absent, lapsed, unreadable, or a dead CLI's on this host); its version. */
async function takeOver(o: LeaseOptions, key: string, now: number): Promise<string> {
  const alive = o.processAlive ?? processAlive;
  const refuse = (held: LeaseBody | undefined): never => {
    const who = held ? `${describeHolder(held.holder)} since ${held.acquired_at}` : 'another run';
    const until = held ? `; it lapses at ${held.expires_at} if that run died` : '';
    throw new LeaseHeldError(`another collector of operation ${o.operation} is running: ${who} holds ${o.store.describe(key)}${until}. No API call was made; rerun when it has finished`, { key });
  };
  const current = await o.store.getVersioned(key);
  if (current === null) return (await o.store.createIfAbsent(key, leaseBody(o, now), JSON_TYPE)) ?? refuse(undefined);
  const held = parseLease(current.body);
  const lapsed = !held || Date.parse(held.expires_at) <= now;
  const deadHere = held?.holder.kind === 'cli' && held.holder.host === o.holder.host && held.holder.pid !== o.holder.pid && !alive(held.holder.pid);
  if (!lapsed && !deadHere) refuse(held);
  return (await o.store.replaceIfMatch(key, leaseBody(o, now), JSON_TYPE, current.version)) ?? refuse(undefined);
}

/** The lease this run holds at `version`: renewed while it works, given back at the end. */
function heldLease(o: LeaseOptions, key: string, acquiredAt: number, taken: string): Lease {
  const ttl = o.ttlMs ?? DEFAULT_LEASE_TTL_MS;
  let version = taken;
  let renewedAt = acquiredAt;
  // Renewals come from the run's loop and from a save in the background: a second one while
  // the first is in flight would find the lease at a version it does not know yet and take
  // this run's own write for a take-over. So there is one renewal at a time, and callers share it.
  let renewing: Promise<void> | undefined;
  const renewOnce = async (): Promise<void> => {
    // Checked before the conditional write too: a store that ignores conditions (a test
    // double of S3) still refuses a run whose lease was taken over.
    const current = await o.store.getVersioned(key);
    const next = current?.version === version ? await o.store.replaceIfMatch(key, leaseBody(o, acquiredAt), JSON_TYPE, version) : null;
    if (next === null) {
      const held = current ? parseLease(current.body) : undefined;
      throw new LeaseHeldError(
        `lost the lease of operation ${o.operation} (${o.store.describe(key)}) to ${held ? describeHolder(held.holder) : 'another run'} while running (this run was paused past its lease time); stopped so that two collectors never use the token at once. What was stored stays; rerun when the other has finished`,
        { key },
      );
    }
    version = next;
    renewedAt = o.clock();
  };
  return {
    renewDue: () => o.clock() - renewedAt >= ttl / 2,
    renew() {
      renewing ??= renewOnce().finally(() => {
        renewing = undefined;
      });
      return renewing;
    },
    async release() {
      // After a renewal in flight: released at the version it writes, not the one before.
      await renewing?.catch(() => undefined);
      // A lease lost meanwhile belongs to its new holder: leave it alone.
      const current = await o.store.getVersioned(key);
      if (current?.version === version) await o.store.replaceIfMatch(key, leaseBody(o, acquiredAt, o.clock()), JSON_TYPE, version);
    },
  };
}
