// The seam between a Raft node and whatever runs it (the simulator in harness/sim,
// real processes in harness/real). This is the only harness module that student
// code in labs/ and solutions/ may import.
//
// A node is a synchronous, deterministic event handler: events come in through
// onMessage/onTimer, effects go out through Env. It never reads a clock, never
// does I/O of its own and never awaits. That is what makes every run replayable.

/** A node's name, e.g. "n1". Clients in the simulator are endpoints too ("c1"). */
export type NodeId = string;

/** A handle returned by setTimer, used to cancel that one timer. */
export type TimerId = number;

/** Plain data that survives JSON: what messages, commands and log fields are made of. */
export type Json = null | boolean | number | string | Json[] | { [key: string]: Json };

/**
 * Durable storage, modelled as named files of string records (think: an
 * append-only WAL file, a file holding the hard state, a snapshot file).
 *
 * Every call takes effect at once for the node itself (reads see the latest
 * writes), but survives a crash only after sync(): a crash keeps exactly the
 * state of the last sync. A crash may also leave a torn copy of the first record
 * appended after the last sync (a prefix of its characters), so the node must
 * frame its records with a checksum (see harness/checksum.ts) and drop a bad tail
 * on restart.
 */
export interface Storage {
  /** The records of a file, oldest first; empty if the file does not exist. */
  read(file: string): readonly string[];
  /** Appends one record to the end of a file. */
  append(file: string, record: string): void;
  /** Keeps the first keepRecords records of a file and discards the rest. */
  truncate(file: string, keepRecords: number): void;
  /** Replaces a file's whole content at once (write a temp file, then rename). */
  replace(file: string, records: readonly string[]): void;
  /** Makes every write so far durable. */
  sync(): void;
  /** The names of the files that exist, sorted. */
  files(): readonly string[];
}

/** What a node hands to its service (the state machine) once it is committed. */
export type Applied =
  | { readonly kind: "entry"; readonly index: number; readonly term: number; readonly command: Json }
  | { readonly kind: "snapshot"; readonly index: number; readonly term: number; readonly data: Json };

/** Everything a node may do to the outside world. */
export interface Env<Msg> {
  readonly id: NodeId;
  /** The node's own clock in virtual milliseconds; it may drift from other nodes' clocks. */
  now(): number;
  /** The node's own seeded random stream, uniform in [0, 1). */
  random(): number;
  /** Sends a message; the runtime copies it, so later changes to msg are not seen by the receiver. */
  send(to: NodeId, msg: Msg): void;
  /** Calls onTimer(name) after ms milliseconds of this node's clock. */
  setTimer(ms: number, name: string): TimerId;
  cancelTimer(id: TimerId): void;
  readonly storage: Storage;
  /** Hands a committed entry or an installed snapshot to the service, in index order. */
  apply(entry: Applied): void;
  /** A structured note that goes into the trace, e.g. log("role", { role: "leader", term: 3 }). */
  log(event: string, fields?: { [key: string]: Json }): void;
}

/** A node: the runtime calls these, one at a time, never concurrently. */
export interface Node<Msg> {
  onMessage(from: NodeId, msg: Msg): void;
  onTimer(name: string): void;
  /** Optional: a JSON view of the node's state for failure reports and the timeline (never trusted by checks). */
  inspect?(): { [key: string]: Json };
}

/**
 * Builds a node from its Env. Called at first boot and again at every restart,
 * when only durable storage is left: a factory reads storage to recover.
 */
export type NodeFactory<Msg> = (env: Env<Msg>) => Node<Msg>;
