// Lab 5 — Cluster membership changes (reference solution).
//
// A configuration takes effect on each server as soon as it is in its log,
// committed or not [thesis §4.1]; so truncating the log can revert it. Voter
// sets change either one server at a time [thesis §4.1] or through joint
// consensus, C_old,new then C_new, where every decision needs a majority of
// both [§6]. New servers join as learners that count in no majority and are
// promoted once they have caught up [thesis §4.2.1]. A leader that is not in
// C_new steps down once C_new is committed [§6, thesis §4.2.2]. Only one change
// may be uncommitted at a time, and a new leader waits until an entry of its
// own term is committed before changing anything (the fix to the single-server
// change bug, thesis §4.1 and raft-dev 2015).
import type { AdminReply, AdminRequest, ClusterConfig, Entry } from "../harness/raft/messages.ts";
import type { NodeId } from "../harness/types.ts";
import type { MembershipModule, RaftState } from "../labs/given/state.ts";

function bootstrapConfig(s: RaftState): ClusterConfig {
  return { voters: [...s.config.members], votersOutgoing: [], learners: [] };
}

export function configAt(s: RaftState, index: number): ClusterConfig {
  for (let i = Math.min(index, s.log.lastIndex()); i > s.log.snapshotIndex; i--) {
    const e = s.log.entry(i);
    if (e !== undefined && e.data.kind === "config") return e.data.config;
  }
  return s.snapshot !== null && s.snapshot.index <= index ? s.snapshot.config : bootstrapConfig(s);
}

function configIndexAt(s: RaftState, index: number): number {
  for (let i = Math.min(index, s.log.lastIndex()); i > s.log.snapshotIndex; i--) {
    if (s.log.entry(i)?.data.kind === "config") return i;
  }
  return s.snapshot?.index ?? 0;
}

export function restore(s: RaftState): void {
  const last = s.log.lastIndex();
  setCluster(s, configAt(s, last), configIndexAt(s, last));
}

function setCluster(s: RaftState, config: ClusterConfig, index: number): void {
  s.cluster = config;
  s.clusterIndex = index;
  s.note("config", { index, voters: config.voters, votersOutgoing: config.votersOutgoing, learners: config.learners });
  if (s.role === "leader") {
    const members = new Set(peers(s));
    for (const id of members) s.peer(id); // new members get progress
    for (const id of [...s.progress.keys()]) if (!members.has(id)) s.progress.delete(id);
  }
}

function majority(voters: readonly NodeId[], has: (id: NodeId) => boolean): boolean {
  let n = 0;
  for (const v of voters) if (has(v)) n++;
  return n * 2 > voters.length;
}

export function isQuorum(s: RaftState, has: (id: NodeId) => boolean): boolean {
  const c = s.cluster;
  if (!majority(c.voters, has)) return false;
  if (s.bug("joint-ignores-old")) return true;
  return c.votersOutgoing.length === 0 || majority(c.votersOutgoing, has);
}

export function peers(s: RaftState): NodeId[] {
  const c = s.cluster;
  const all = new Set<NodeId>([...c.voters, ...c.votersOutgoing, ...c.learners]);
  all.delete(s.id);
  return [...all].sort();
}

export function isVoter(s: RaftState, id: NodeId): boolean {
  return s.cluster.voters.includes(id) || s.cluster.votersOutgoing.includes(id);
}

export function canCampaign(s: RaftState): boolean {
  if (isVoter(s, s.id)) return true;
  if (s.clusterIndex <= s.commitIndex) return false;
  const committed = configAt(s, s.commitIndex);
  return committed.voters.includes(s.id) || committed.votersOutgoing.includes(s.id);
}

export function onEntriesAppended(s: RaftState, entries: readonly Entry[]): void {
  for (const e of entries) if (e.data.kind === "config") setCluster(s, e.data.config, e.index);
}

export function onLogTruncated(s: RaftState): void {
  if (s.clusterIndex > s.log.lastIndex()) restore(s);
}

/** Is the latest configuration committed? Then another change may start. */
function settled(s: RaftState): boolean {
  return s.clusterIndex <= s.commitIndex && s.commitIndex >= s.termStartIndex;
}

export function onCommitAdvanced(s: RaftState): void {
  // Answer the operator whose change just committed.
  for (const [index, req] of [...s.pendingAdmin]) {
    if (index > s.commitIndex) continue;
    s.pendingAdmin.delete(index);
    if (s.role === "leader") reply(s, req.from, { type: "AdminReply", requestId: req.requestId, ok: true, config: configAt(s, index) });
  }
  if (s.role !== "leader" || s.clusterIndex > s.commitIndex) return;
  const c = s.cluster;
  if (c.votersOutgoing.length > 0) {
    // §6: once C_old,new is committed, the leader proposes C_new.
    const next: ClusterConfig = { voters: c.voters, votersOutgoing: [], learners: c.learners };
    const r = s.modules.replication.propose(s, { kind: "config", config: next });
    if (r.ok) moveAdmin(s, s.clusterIndex, r.index);
    return;
  }
  if (!c.voters.includes(s.id) && !s.bug("removed-leader-stays")) {
    // Thesis §4.2.2: a leader removed from the configuration steps down once C_new is committed.
    s.note("removed-leader-steps-down", { term: s.currentTerm });
    s.modules.election.becomeFollower(s, s.currentTerm, null);
  }
}

/** A joint change is answered when C_new commits, not C_old,new. */
function moveAdmin(s: RaftState, fromIndex: number, toIndex: number): void {
  const req = s.pendingAdmin.get(fromIndex);
  if (req === undefined) return;
  s.pendingAdmin.delete(fromIndex);
  s.pendingAdmin.set(toIndex, req);
}

function reply(s: RaftState, to: NodeId, msg: AdminReply): void {
  if (to !== s.id) s.send(to, msg);
}

function refuse(s: RaftState, from: NodeId, req: AdminRequest, error: "not_leader" | "busy" | "in_progress" | "rejected" | "too_large", detail: string): void {
  reply(s, from, { type: "AdminReply", requestId: req.requestId, ok: false, error, leaderHint: s.leaderId, detail });
}

export function handleAdminRequest(s: RaftState, from: NodeId, req: AdminRequest): void {
  if (s.role !== "leader") return refuse(s, from, req, "not_leader", `${s.id} is not the leader`);
  const r = req.request;
  const c = s.cluster;
  if (r.change === "transferLeadership") {
    if (!c.voters.includes(r.server) || r.server === s.id) return refuse(s, from, req, "rejected", `${r.server} is not another voter`);
    s.transfer = { target: r.server, deadlineMs: s.now() + s.config.electionTimeoutMaxMs };
    s.note("transfer-start", { target: r.server });
    s.modules.replication.sendAppendEntries(s, r.server, true);
    poll(s);
    return reply(s, from, { type: "AdminReply", requestId: req.requestId, ok: true, config: c });
  }
  if (!settled(s)) return refuse(s, from, req, "in_progress", "a configuration change is not yet committed");
  let next: ClusterConfig;
  switch (r.change) {
    case "addServer": {
      if (c.voters.includes(r.server) || c.learners.includes(r.server)) {
        return reply(s, from, { type: "AdminReply", requestId: req.requestId, ok: true, config: c });
      }
      next = { voters: c.voters, votersOutgoing: [], learners: [...c.learners, r.server].sort() };
      s.promoteWhenCaughtUp.add(r.server);
      break;
    }
    case "removeServer": {
      const voters = c.voters.filter((v) => v !== r.server);
      if (voters.length === 0) return refuse(s, from, req, "rejected", "cannot remove the last voter");
      next = { voters, votersOutgoing: [], learners: c.learners.filter((l) => l !== r.server) };
      s.promoteWhenCaughtUp.delete(r.server);
      break;
    }
    case "joint": {
      const voters = [...new Set(r.voters)].sort();
      const known = new Set([...c.voters, ...c.learners]);
      const unknown = voters.filter((v) => !known.has(v));
      if (voters.length === 0 || unknown.length > 0) {
        return refuse(s, from, req, "rejected", `new voters must already be members (add them as learners first): ${unknown.join(",")}`);
      }
      next = { voters, votersOutgoing: [...c.voters], learners: c.learners.filter((l) => !voters.includes(l)) };
      if (s.bug("joint-skips-old")) next = { voters, votersOutgoing: [], learners: next.learners };
      break;
    }
  }
  const p = s.modules.replication.propose(s, { kind: "config", config: next });
  if (!p.ok) return refuse(s, from, req, p.error, `proposal refused: ${p.error}`);
  s.pendingAdmin.set(p.index, { from, requestId: req.requestId });
}

/** After every event on the leader: promote caught-up learners, finish a leadership transfer. */
export function poll(s: RaftState): void {
  if (s.role !== "leader") return;
  if (s.transfer !== null) {
    const pr = s.progress.get(s.transfer.target);
    if (pr === undefined) {
      s.transfer = null;
    } else if (pr.matchIndex === s.log.lastIndex()) {
      // Thesis §3.10: the target has our whole log; tell it to start an election now.
      s.modules.persistence.persist(s);
      s.send(s.transfer.target, { type: "TimeoutNow", term: s.currentTerm, leaderId: s.id });
      s.note("transfer-timeout-now", { target: s.transfer.target });
      s.transfer = null;
    }
    return;
  }
  if (s.promoteWhenCaughtUp.size === 0 || !settled(s)) return;
  for (const id of [...s.promoteWhenCaughtUp].sort()) {
    if (!s.cluster.learners.includes(id)) {
      if (!s.cluster.voters.includes(id) && s.clusterIndex <= s.commitIndex) s.promoteWhenCaughtUp.delete(id);
      continue;
    }
    const pr = s.progress.get(id);
    // Caught up: it holds everything committed so far [thesis §4.2.1, simplified to one round].
    if (pr === undefined || pr.matchIndex < s.commitIndex) continue;
    const c = s.cluster;
    const next: ClusterConfig = { voters: [...c.voters, id].sort(), votersOutgoing: [], learners: c.learners.filter((l) => l !== id) };
    const p = s.modules.replication.propose(s, { kind: "config", config: next });
    if (p.ok) {
      s.promoteWhenCaughtUp.delete(id);
      s.note("promote", { server: id, index: p.index });
    }
    return; // one change at a time
  }
}

export const membership: MembershipModule = {
  restore,
  isQuorum,
  peers,
  isVoter,
  canCampaign,
  configAt,
  onEntriesAppended,
  onLogTruncated,
  onCommitAdvanced,
  handleAdminRequest,
  poll,
};
