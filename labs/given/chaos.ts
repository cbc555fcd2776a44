// GIVEN CODE (read-only for students): the interfaces of the chaos lab (lab 7).
// They live in the harness, which also runs your nemesis on the simulator.
export type { ChaosModule, HistoryOp, LinearizabilityVerdict, NemesisControl } from "../../harness/raft/lab7.ts";
