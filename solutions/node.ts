// The reference Raft KV server: every lab's reference module in one table.
// The grader builds mixed tables (your labs 1..N, the reference's for the rest)
// the same way; see referenceModules() and withModules().
import type { Msg } from "../harness/raft/messages.ts";
import type { NodeFactory, NodeId } from "../harness/types.ts";
import { raftConfig, type RaftConfig } from "../labs/given/config.ts";
import { createRaftNode } from "../labs/given/node.ts";
import type { RaftModules } from "../labs/given/state.ts";
import { election } from "./election.ts";
import { kv } from "./kv.ts";
import { membership } from "./membership.ts";
import { persistence } from "./persistence.ts";
import { replication } from "./replication.ts";
import { snapshot } from "./snapshot.ts";

export function referenceModules(): RaftModules {
  return { election, replication, persistence, snapshot, membership, kv };
}

/** The reference table with some modules replaced (e.g. a student's election and replication). */
export function withModules(overrides: Partial<RaftModules>): RaftModules {
  return { ...referenceModules(), ...overrides };
}

/** A reference server factory for a cluster whose initial voters are `members`. */
export function referenceNode(members: readonly NodeId[], overrides: Partial<Omit<RaftConfig, "members">> = {}): NodeFactory<Msg> {
  return createRaftNode(referenceModules(), raftConfig(members, overrides));
}
