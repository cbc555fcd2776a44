// The mutants of the audit: one per bug switch of the reference
// (solutions/bugs.ts), each placed in the lab whose suite must catch it — the
// lab that teaches the rule the bug breaks, which is not always the lab whose
// file holds the line (the election restriction lives in election.ts but is
// taught, and graded, with the log in lab 2).
//
// LAB_OF is a Record over every bug name: a new switch in bugs.ts does not
// compile until it is placed here, so no bug escapes the audit by omission.
import { REFERENCE_BUGS, type ReferenceBug } from "../../solutions/bugs.ts";

export interface Mutant {
  /** The bug switch's name, as in solutions/bugs.ts. */
  readonly id: ReferenceBug;
  readonly description: string;
  /** The lab (1..7) whose suite must catch it. */
  readonly lab: number;
  /**
   * The bug is in an optional feature that core scenarios turn off (CheckQuorum,
   * lease reads): it is audited against core scenarios first, then the extras.
   */
  readonly extraFeature: boolean;
}

type Placement = { lab: number; extraFeature?: true };

const LAB_OF: Readonly<Record<ReferenceBug, Placement>> = {
  // Lab 1: terms, votes, timers, heartbeats.
  "vote-twice": { lab: 1 },
  "vote-keeps-timer": { lab: 1 },
  "heartbeat-keeps-timer": { lab: 1 },
  "no-heartbeats": { lab: 1 },
  "candidate-keeps-term": { lab: 1 },
  "ignore-reply-term": { lab: 1 },
  "count-stale-votes": { lab: 1 },
  "no-leader-stickiness": { lab: 1, extraFeature: true },
  // Lab 2: the log, the election restriction, commitment, applying.
  "vote-ignores-log": { lab: 2 },
  "skip-consistency-check": { lab: 2 },
  "truncate-on-stale": { lab: 2 },
  "heartbeat-truncates": { lab: 2 },
  "prev-log-index-off-by-one": { lab: 2 },
  "next-index-below-one": { lab: 2 },
  "match-index-from-next": { lab: 2 },
  "commit-past-match": { lab: 2 },
  "commit-regresses": { lab: 2 },
  "commit-old-term": { lab: 2 },
  "commit-without-majority": { lab: 2 },
  "apply-uncommitted": { lab: 2 },
  // Lab 3: what is on disk, and when.
  "vote-before-persist": { lab: 3 },
  "forget-voted-for": { lab: 3 },
  "ack-before-sync": { lab: 3 },
  "no-sync": { lab: 3 },
  "log-not-persisted": { lab: 3 },
  "restore-forgets-term": { lab: 3 },
  "restore-assumes-committed": { lab: 3 },
  // Lab 4: snapshots.
  "snapshot-ignores-term": { lab: 4 },
  // Lab 5: membership.
  "joint-ignores-old": { lab: 5 },
  "joint-skips-old": { lab: 5 },
  "removed-leader-stays": { lab: 5 },
  // Lab 6: the KV service (sessions live in its snapshots).
  "no-dedup": { lab: 6 },
  "sessions-not-in-snapshot": { lab: 6 },
  "read-without-heartbeat": { lab: 6 },
  "read-index-ignores-noop": { lab: 6 },
  "lease-ignores-drift": { lab: 6, extraFeature: true },
};

/** Every mutant, by lab, then in the order of solutions/bugs.ts. */
export const MUTANTS: readonly Mutant[] = (Object.keys(REFERENCE_BUGS) as ReferenceBug[])
  .map((id, order) => ({ id, description: REFERENCE_BUGS[id], lab: LAB_OF[id].lab, extraFeature: LAB_OF[id].extraFeature === true, order }))
  .sort((a, b) => a.lab - b.lab || a.order - b.order)
  .map(({ order: _, ...m }) => m);

export function findMutant(id: string): Mutant | undefined {
  return MUTANTS.find((m) => m.id === id);
}
