// GIVEN CODE (read-only for students): assembles a Raft server from the lab
// modules and routes every event to them.
//
// The dispatch is the one place that knows every message type: the term rules
// (election.checkTerm) run first for every Raft message, as in etcd-raft's
// Step, then the handler named for the message runs. The switch is exhaustive,
// so adding a message type without a handler does not compile.
import type { Msg } from "../../harness/raft/messages.ts";
import type { Json, Node, NodeFactory, NodeId } from "../../harness/types.ts";
import type { RaftConfig } from "./config.ts";
import { RaftState, type RaftModules } from "./state.ts";

export const ELECTION_TIMER = "election";
export const HEARTBEAT_TIMER = "heartbeat";

/** A Raft server whose state tests can reach (the harness never reads it to check anything). */
export interface RaftNode extends Node<Msg> {
  readonly state: RaftState;
}

/** Builds the NodeFactory of a Raft KV server from a module table. */
export function createRaftNode(modules: RaftModules, config: RaftConfig): NodeFactory<Msg> {
  return (env) => {
    const s = new RaftState(env, config, modules);
    modules.snapshot.restore(s);
    modules.persistence.restore(s);
    modules.membership.restore(s);
    modules.election.start(s);
    const node: RaftNode = {
      state: s,
      onMessage: (from, msg) => {
        dispatch(s, from, msg);
        afterEvent(s);
      },
      onTimer: (name) => {
        s.timerFired(name);
        dispatchTimer(s, name);
        afterEvent(s);
      },
      inspect: () => inspectState(s),
    };
    return node;
  };
}

function dispatch(s: RaftState, from: NodeId, msg: Msg): void {
  const m = s.modules;
  switch (msg.type) {
    case "RequestVote":
    case "RequestVoteReply":
    case "AppendEntries":
    case "AppendEntriesReply":
    case "InstallSnapshot":
    case "InstallSnapshotReply":
    case "TimeoutNow":
      if (!m.election.checkTerm(s, from, msg)) return;
      break;
    default:
      break;
  }
  switch (msg.type) {
    case "RequestVote":
      return m.election.handleRequestVote(s, from, msg);
    case "RequestVoteReply":
      return m.election.handleRequestVoteReply(s, from, msg);
    case "AppendEntries":
      return m.replication.handleAppendEntries(s, from, msg);
    case "AppendEntriesReply":
      return m.replication.handleAppendEntriesReply(s, from, msg);
    case "InstallSnapshot":
      return m.snapshot.handleInstallSnapshot(s, from, msg);
    case "InstallSnapshotReply":
      return m.snapshot.handleInstallSnapshotReply(s, from, msg);
    case "TimeoutNow":
      return m.election.handleTimeoutNow(s, from, msg);
    case "ClientRequest":
      return m.kv.handleClientRequest(s, from, msg);
    case "AdminRequest":
      return m.membership.handleAdminRequest(s, from, msg);
    case "ClientReply":
    case "AdminReply":
      return; // addressed to clients, not servers
    default: {
      const unknown: never = msg;
      s.note("unknown-message", { from, type: String((unknown as { type?: unknown }).type) });
    }
  }
}

function dispatchTimer(s: RaftState, name: string): void {
  if (name === ELECTION_TIMER) s.modules.election.onElectionTimeout(s);
  else if (name === HEARTBEAT_TIMER) s.modules.election.onHeartbeatTimeout(s);
  else s.note("unknown-timer", { name });
}

function afterEvent(s: RaftState): void {
  s.modules.membership.poll(s);
  s.modules.kv.poll(s);
}

/** The JSON view of a server used by the demo, failure reports and the timeline. */
export function inspectState(s: RaftState, maxEntries = 20): { [key: string]: Json } {
  const entries = s.log.all();
  const shown = entries.slice(Math.max(0, entries.length - maxEntries));
  return {
    state: s.role,
    term: s.currentTerm,
    votedFor: s.votedFor,
    leader: s.leaderId,
    commitIndex: s.commitIndex,
    lastApplied: s.lastApplied,
    snapshotIndex: s.log.snapshotIndex,
    lastLogIndex: s.log.lastIndex(),
    config: s.cluster,
    log: shown.map((e) => ({ index: e.index, term: e.term, data: e.data })),
    state_machine: Object.fromEntries([...s.kv.data.entries()].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))),
  };
}
