// "Sometimes" cases: counters a run bumps when it reaches an interesting
// situation. A scenario lists the cases its seeds must reach together
// (`requires leader-change torn-write`); a batch that never reached one fails
// and says so, rather than passing without having tested it.
//
// Cases counted for every implementation, from the trace:
//   leader-change        a server became leader in a second (or later) term
//   crash, restart, torn-write, disk-wiped, pause, clock-skew
//   partition, one-way-cut, message-lost, message-duplicated
// For Raft (grader/subjects/raft.ts): check-quorum-step-down, snapshot-taken,
// snapshot-installed, config-change, leadership-transfer, torn-record-dropped.
// A code step can count its own: ctx.sim.coverage.hit("my-case").
import type { Coverage, Monitor, SimEvent, Violation } from "../harness/sim/index.ts";
import type { Subject } from "./subject.ts";

export class CaseCounter implements Monitor {
  readonly name = "grader-cases";
  private readonly leaderTerms = new Set<number>();
  /** Set once the simulation (which owns the counters) exists. */
  coverage: Coverage | null = null;

  constructor(private readonly subject: Subject) {}

  private hit(name: string): void {
    this.coverage?.hit(name);
  }

  onEvent(ev: SimEvent): Violation | undefined {
    switch (ev.kind) {
      case "crash":
        this.hit("crash");
        if (ev.torn.length > 0) this.hit("torn-write");
        break;
      case "restart":
        this.hit("restart");
        break;
      case "wipe":
        this.hit("disk-wiped");
        break;
      case "pause":
        this.hit("pause");
        break;
      case "clock":
        this.hit("clock-skew");
        break;
      case "partition":
        this.hit("partition");
        break;
      case "cut":
        this.hit("one-way-cut");
        break;
      case "drop":
        if (ev.reason === "loss") this.hit("message-lost");
        break;
      case "dupe":
        this.hit("message-duplicated");
        break;
      case "log":
        if (ev.event === "role" && ev.fields.role === "leader" && typeof ev.fields.term === "number" && !this.leaderTerms.has(ev.fields.term)) {
          if (this.leaderTerms.size > 0) this.hit("leader-change");
          this.leaderTerms.add(ev.fields.term);
        }
        break;
      default:
        break;
    }
    const extra = this.subject.caseOf?.(ev);
    if (extra !== undefined) this.hit(extra);
    return undefined;
  }
}
