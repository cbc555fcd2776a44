// What the chaos lab (lab 7) works with: a nemesis drives faults through
// NemesisControl (never the simulator itself, so the same nemesis can run on a
// real cluster), and a checker judges a client history of the KV store.
// Student code imports these types through labs/given/chaos.ts.
import type { NodeId } from "../types.ts";
import type { KvOp } from "./messages.ts";

/** The faults a nemesis may inject, on the simulator or a real cluster. */
export interface NemesisControl {
  /** The servers (clients are never touched). */
  readonly servers: readonly NodeId[];
  /** Virtual ms now. */
  now(): number;
  /** The nemesis' own seeded random stream, uniform in [0, 1). */
  random(): number;
  /** Runs action at virtual time atMs (>= now). */
  at(atMs: number, action: () => void): void;
  /** Cuts every link between servers of different groups (servers in no group keep theirs). */
  partition(groups: readonly (readonly NodeId[])[]): void;
  /** Cuts one direction: from no longer reaches to. */
  cutLink(from: NodeId, to: NodeId): void;
  /** Restores every cut link. */
  heal(): void;
  /** Crashes a server now (torn: its last unsynced record may be torn), or at its nth next sync (mid-handler). */
  crash(id: NodeId, opts?: { torn?: boolean; atSync?: number }): void;
  restart(id: NodeId): void;
  isUp(id: NodeId): boolean;
  /** A stall (GC pause): timers and messages wait. */
  pause(id: NodeId, ms: number): void;
  /** From now on the server's clock runs driftPpm parts per million fast (negative: slow); its reading stays continuous. */
  setClockDrift(id: NodeId, driftPpm: number): void;
  /** Message loss and duplication probabilities on every link. */
  setLinkFaults(faults: { drop: number; dupe: number }): void;
}

/** One operation of a client history, as the client saw it. */
export interface HistoryOp {
  readonly client: string;
  readonly op: KvOp;
  /** ok: it returned (with result); fail: it surely had no effect; info: unknown (may take effect any time after callMs). */
  readonly status: "ok" | "fail" | "info";
  /** For ok: get -> the value read; cas -> whether it applied. Absent for set/append/del. */
  readonly result?: { value?: string | null; applied?: boolean };
  readonly callMs: number;
  /** null for info operations (open to the end). */
  readonly returnMs: number | null;
}

export interface LinearizabilityVerdict {
  /** ok: linearizable; illegal: not; unknown: the check ran out of its budget (never a pass). */
  readonly verdict: "ok" | "illegal" | "unknown";
  /** For people: which key and operations could not be ordered, or why the check gave up. */
  readonly explanation: string;
}

/** Lab 7: the student's nemesis and checker. */
export interface ChaosModule {
  /** Plans faults from now until now + durationMs; at the end everything must be healed and restarted. */
  nemesis(ctl: NemesisControl, durationMs: number): void;
  /** Is this history linearizable for a key/value store (gets, sets, appends, deletes, compare-and-sets)? */
  checkLinearizable(history: readonly HistoryOp[]): LinearizabilityVerdict;
}
