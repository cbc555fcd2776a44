// The system under test, as a scenario sees it. A Subject binds the scenario
// machinery (which knows nothing of Raft) to one implementation: the student's
// modules, the reference, a mix of both, or the self-test's toy node. It is
// built once per worker and reused for every seed.
import type { Monitor, SimEvent } from "../harness/sim/index.ts";
import type { Simulation } from "../harness/sim/index.ts";
import type { Applied, Json, Node, NodeFactory, NodeId } from "../harness/types.ts";

/** What a server believes it is; read from the node for steering only, never for safety checks. */
export interface RoleView {
  role: string;
  term: number;
}

export interface Subject {
  /** For reports: "raft (yours: election; reference: the rest)". */
  readonly description: string;
  /** Says what is wrong with a scenario's config overrides, or undefined if they are fine. */
  checkConfig(config: Readonly<Record<string, Json>>): string | undefined;
  /** The factory of the servers `ids`. */
  factory(ids: readonly NodeId[], config: Readonly<Record<string, Json>>): NodeFactory<Json>;
  /** Online checks for this implementation (safety monitors); fresh objects per seed. */
  monitors(ids: readonly NodeId[], config: Readonly<Record<string, Json>>): Monitor[];
  /** Hands the command `value` to server `to` as a client would (inject a message, say). */
  propose(sim: Simulation<Json>, to: NodeId, value: string): void;
  /** If an applied entry carries one of the scenario's proposals, its value. */
  proposalOf(entry: Applied): string | undefined;
  /** The role and term a live node believes it has (cheap: called after every event while waiting). */
  roleOf(node: Node<Json>): RoleView | undefined;
  /** One line about a server for failure reports, from its inspect() view. */
  summarize(view: { readonly [key: string]: Json }): string;
  /** Implementation-specific "sometimes" cases an event reaches (see grader/cases.ts). */
  caseOf?(ev: SimEvent): string | undefined;
}

/** A generic one-line summary of an inspect() view: role, term, log, commit index. */
export function summarizeView(view: { readonly [key: string]: Json }): string {
  if (view.down === true) return "down (crashed)";
  const parts: string[] = [];
  const role = view.role ?? view.state;
  if (typeof role === "string") parts.push(role);
  if (typeof view.term === "number") parts.push(`term ${view.term}`);
  const log = view.log;
  if (Array.isArray(log)) {
    const last = typeof view.lastLogIndex === "number" ? view.lastLogIndex : log.length;
    const terms = log.map((e) => (e !== null && typeof e === "object" && !Array.isArray(e) && typeof e.term === "number" ? e.term : "?"));
    const shown = terms.length > 12 ? `…${terms.slice(-12).join(" ")}` : terms.join(" ");
    parts.push(`log ${last} entries [terms ${shown || "-"}]`);
  } else if (typeof view.lastLogIndex === "number") parts.push(`log ${view.lastLogIndex} entries`);
  if (typeof view.commitIndex === "number") parts.push(`commit ${view.commitIndex}`);
  if (typeof view.lastApplied === "number") parts.push(`applied ${view.lastApplied}`);
  if (parts.length > 0) return parts.join(", ");
  const text = JSON.stringify(view);
  return text.length > 160 ? text.slice(0, 159) + "…" : text;
}

/** Checks config keys against the known ones, with a suggestion for typos. */
export function checkConfigKeys(config: Readonly<Record<string, Json>>, known: Readonly<Record<string, Json>>): string | undefined {
  for (const [key, value] of Object.entries(config)) {
    if (!(key in known)) {
      return `unknown config key "${key}"; known keys: ${Object.keys(known).sort().join(", ")}`;
    }
    const want = typeof known[key];
    if (typeof value !== want) return `config ${key} must be a ${want}, got ${JSON.stringify(value)}`;
  }
  return undefined;
}
