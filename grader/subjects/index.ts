// Which implementation a run grades, as plain data that can cross to a worker,
// and how a worker turns it into a Subject.
import { type LabDef, RAFT_MODULES, type RaftModuleName } from "../labs.ts";
import { toySubject } from "../selftest/toy.ts";
import type { Subject } from "../subject.ts";
import { type ModuleTable, raftSubject } from "./raft.ts";

export type ImplSpec = { subject: "toy" } | { subject: "raft"; modules: ModuleTable };

export interface ImplChoice {
  /** --solution: every module from solutions/. */
  solution: boolean;
  /** --use-reference: these of the lab's modules from solutions/ instead of labs/. */
  useReference: readonly RaftModuleName[];
}

/** The module table for grading a lab: the lab's modules (and earlier labs') from labs/, the rest from solutions/. */
export function implFor(lab: LabDef, choice: ImplChoice): ImplSpec {
  if (lab.subject === "toy") return { subject: "toy" };
  const modules = {} as Record<RaftModuleName, "labs" | "solutions">;
  for (const m of RAFT_MODULES) {
    modules[m] = !choice.solution && lab.modules.includes(m) && !choice.useReference.includes(m) ? "labs" : "solutions";
  }
  return { subject: "raft", modules };
}

export function implKey(spec: ImplSpec): string {
  return JSON.stringify(spec);
}

export function createSubject(spec: ImplSpec): Promise<Subject> {
  return spec.subject === "toy" ? Promise.resolve(toySubject()) : raftSubject(spec.modules);
}

/** Says which code a spec grades, without loading it (the main thread never imports student code). */
export function describeImpl(spec: ImplSpec): string {
  if (spec.subject === "toy") return "the self-test's toy cluster";
  const mine = Object.entries(spec.modules)
    .filter(([, src]) => src === "labs")
    .map(([m]) => m);
  return mine.length === 0 ? "the reference (solutions/)" : `your ${mine.join(", ")} (labs/) with the reference for the rest`;
}
