// Invariant monitors. A monitor watches the event stream and keeps its own ghost
// state; it never reads a node's memory, because the node is what is on trial.
// The first violation stops the run and becomes the report.
import type { NodeId } from "../types.ts";
import type { SimEvent } from "./trace.ts";

export interface Violation {
  /** Short stable id, e.g. "election-safety". */
  rule: string;
  /** What went wrong, in plain words a student can act on. */
  message: string;
  /** Where the paper states the rule, e.g. "§5.2" or "Figure 2". */
  section?: string;
  node?: NodeId;
}

export interface Monitor {
  readonly name: string;
  /** Called after every event is recorded; return a violation to stop the run. */
  onEvent(ev: SimEvent): Violation | undefined;
  /** Called by Simulation.finish(): end-of-run checks such as liveness. */
  onEnd?(): Violation | undefined;
}

/** A failure as reported: a violation, plus when and where it happened. */
export interface Failure extends Violation {
  /** Trace index of the event that exposed it. */
  eventIndex: number;
  timeMs: number;
  /** Stack of a thrown exception, when the failure is one. */
  stack?: string;
}

/**
 * Worked example of a protocol monitor: at most one leader per term (§5.2,
 * Election Safety in Figure 3). It is fed by the nodes' own `role` log events
 * (`env.log("role", { role: "leader", term })`); the Raft monitors in
 * harness/raft also watch messages, which a node cannot fake as easily.
 */
export class OneLeaderPerTermMonitor implements Monitor {
  readonly name = "one-leader-per-term";
  private leaderOfTerm = new Map<number, NodeId>();

  onEvent(ev: SimEvent): Violation | undefined {
    if (ev.kind !== "log" || ev.event !== "role" || ev.fields.role !== "leader") return undefined;
    const term = ev.fields.term;
    if (typeof term !== "number") {
      return { rule: "bad-role-event", message: `${ev.node} logged role=leader without a numeric term`, node: ev.node };
    }
    const other = this.leaderOfTerm.get(term);
    if (other !== undefined && other !== ev.node) {
      return {
        rule: "election-safety",
        message: `two leaders in term ${term}: ${other} and ${ev.node}. A node may grant only one vote per term, and a leader needs a majority of votes`,
        section: "§5.2",
        node: ev.node,
      };
    }
    this.leaderOfTerm.set(term, ev.node);
    return undefined;
  }
}
