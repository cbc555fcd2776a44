// The paper sections the lessons cite, and how a citation in lesson text is
// recognised. The network is closed to the book, so instead of linking out,
// every citation links to an entry on the book's own references page, which
// says what that section is about and which lessons cite it.
//
// Sources: Diego Ongaro and John Ousterhout, "In Search of an Understandable
// Consensus Algorithm (Extended Version)", 2014 ("the paper"), and Diego
// Ongaro, "Consensus: Bridging Theory and Practice", PhD thesis, Stanford,
// 2014 ("the thesis"). Summaries are ours.

export type RefSource = "paper" | "thesis";

export interface RefEntry {
  source: RefSource;
  /** "5.4.1" for a section, "fig-8" for a figure. */
  key: string;
  /** How the lessons write it: "§5.4.1", "Figure 8", "thesis §9.6". */
  label: string;
  title: string;
  /** One or two sentences on what the section gives a Raft implementer. */
  about: string;
}

type Known = [key: string, title: string, about: string];

const PAPER_SECTIONS: Known[] = [
  ["1", "Introduction", "Why understandability was the paper's main design goal, and what Raft adds: a strong leader, randomized election timers, joint consensus for membership."],
  ["2", "Replicated state machines", "The setting: a replicated log fed to identical deterministic state machines, so every server computes the same outputs."],
  ["3", "What's wrong with Paxos?", "The motivation: single-decree Paxos is hard to understand and leaves the multi-decree system to the implementer."],
  ["4", "Designing for understandability", "Decomposition and reducing the state space: the two techniques behind Raft's design choices."],
  ["5", "The Raft consensus algorithm", "The algorithm itself. Figure 2 condenses it; Figure 3 lists the properties it guarantees."],
  ["5.1", "Raft basics", "Servers are followers, candidates or leaders; time is divided into terms that act as a logical clock; every RPC carries the sender's term and a newer term always wins."],
  ["5.2", "Leader election", "Election timeouts, RequestVote, one vote per server per term, majority wins, and randomized timeouts to make split votes rare."],
  ["5.3", "Log replication", "AppendEntries with the prevLogIndex/prevLogTerm consistency check, the Log Matching property, and how a leader repairs follower logs by backing up nextIndex."],
  ["5.4", "Safety", "The restrictions that make the leader's log the truth: who may be elected and what may be counted as committed."],
  ["5.4.1", "Election restriction", "A voter denies its vote to a candidate whose log is less up to date: compare last terms first, then lengths. This keeps every committed entry in every future leader's log."],
  ["5.4.2", "Committing entries from previous terms", "A leader counts replicas only for entries of its own current term; older entries commit indirectly. Figure 8 shows what goes wrong otherwise."],
  ["5.4.3", "Safety argument", "The proof sketch of Leader Completeness, from which State Machine Safety follows."],
  ["5.5", "Follower and candidate crashes", "RPCs are idempotent and simply retried, so a crashed follower or candidate is handled by repetition."],
  ["5.6", "Timing and availability", "broadcastTime ≪ electionTimeout ≪ MTBF: the timing requirement for a steady leader."],
  ["6", "Cluster membership changes", "Joint consensus C_old,new: decisions need majorities of both configurations, so two disjoint majorities can never exist; also new servers as non-voters and removal of the leader."],
  ["7", "Log compaction", "Snapshots replace a committed log prefix; InstallSnapshot (Figure 13) brings a follower that fell behind the snapshot up to date."],
  ["8", "Client interaction", "Finding the leader, unique serial numbers so each command runs once, a no-op at the start of each term, and checking leadership before serving a read."],
  ["9", "Implementation and evaluation", "The authors' implementation, the user study, the correctness proof and the performance of leader election."],
  ["9.3", "Performance", "Measurements of how fast a new leader is elected, and how randomizing the timeout avoids split votes."],
  ["10", "Related work", "Raft next to Paxos, Viewstamped Replication and ZooKeeper's Zab."],
  ["11", "Conclusion", "Understandability as a first-class design goal."],
];

const PAPER_FIGURES: Known[] = [
  ["1", "Replicated state machine architecture", "The consensus module, the log and the state machine on each server, and the clients."],
  ["2", "A condensed summary of Raft", "The page to keep open: persistent and volatile state, the AppendEntries and RequestVote RPCs, and the Rules for Servers."],
  ["3", "Properties Raft guarantees", "Election Safety, Leader Append-Only, Log Matching, Leader Completeness, State Machine Safety: what the harness's monitors check."],
  ["4", "Server states", "The transitions between follower, candidate and leader."],
  ["5", "Terms", "Time divided into terms of arbitrary length, each starting with an election; some terms end with no leader."],
  ["6", "Logs", "Entries numbered by index, each with the term it was created in; committed entries are the ones safe to apply."],
  ["7", "Possible follower logs", "What a new leader may find in its followers' logs: missing entries, extra uncommitted entries, or both."],
  ["8", "Why old-term entries cannot be committed by counting", "A time sequence where an entry stored on a majority is still overwritten, because it was from an earlier term."],
  ["9", "Leader Completeness, the proof picture", "A voter that accepted a committed entry must be in the new leader's majority, which is how the proof proceeds."],
  ["10", "Switching configurations directly is unsafe", "Two majorities, of the old and the new configuration, could elect two leaders at once."],
  ["11", "Timeline of a configuration change", "C_old, then C_old,new (joint), then C_new, and when each may decide alone."],
  ["12", "Snapshots", "A snapshot replaces committed entries; it keeps the last included index and term."],
  ["13", "The InstallSnapshot RPC", "Arguments, chunking by offset, and what the receiver does with each chunk."],
];

const THESIS_SECTIONS: Known[] = [
  ["3", "Basic Raft algorithm", "The thesis version of the paper's §5, with more detail on persistence and restarts."],
  ["3.10", "Leadership transfer extension", "The leader brings a target up to date, then sends TimeoutNow so it starts an election at once."],
  ["4", "Cluster membership changes", "Single-server changes, their safety, and the availability problems around them."],
  ["4.1", "Safety of single-server changes", "Adding or removing one server at a time keeps every old and new majority overlapping; a configuration takes effect as soon as it is in a server's log."],
  ["4.2", "Availability", "Catching up new servers, removing the leader, and keeping removed servers from disrupting the cluster."],
  ["4.2.1", "Catching up new servers", "A new server joins as a non-voting learner and is promoted only once its log is nearly current."],
  ["4.2.2", "Removing the current leader", "A leader that is removed keeps managing the cluster until the change is committed, then steps down."],
  ["4.2.3", "Disruptive servers", "A server that heard from a leader within the minimum election timeout ignores RequestVote: leader stickiness."],
  ["4.3", "Arbitrary configuration changes using joint consensus", "The paper's joint consensus, for changing many servers at once."],
  ["5", "Log compaction", "Snapshots in memory and on disk, when to take them, and how to send them."],
  ["5.1", "Snapshotting memory-based state machines", "Each server snapshots on its own; InstallSnapshot sends a snapshot to a follower that fell behind."],
  ["6", "Client interaction", "Finding the leader, linearizable commands, and efficient reads."],
  ["6.2", "Routing requests to the leader", "Includes the rule that a leader steps down when it has not heard from a majority for an election timeout (CheckQuorum)."],
  ["6.3", "Implementing linearizable semantics", "Client sessions: a client id and sequence number per command, and a session table in the state machine so a retried command runs only once."],
  ["6.4", "Processing read-only queries more efficiently", "ReadIndex: record the commit index, confirm leadership with a round of heartbeats, wait until it is applied, then answer."],
  ["6.4.1", "Using clocks to reduce messaging for read-only queries", "Leader leases: skip the heartbeat round while a lease holds, which is only safe if clock drift is bounded."],
  ["8", "Correctness", "The formal specification and the proof of safety."],
  ["9", "Leader election evaluation", "How fast elections converge and how randomization and timeouts affect them."],
  ["9.6", "Preventing disruptions when a server rejoins the cluster", "PreVote: a server first asks whether it could win, and only then increments its term, so a partitioned server cannot force a healthy leader to step down."],
  ["10", "Implementation and performance", "Writing to disk in parallel, batching and pipelining."],
  ["10.2.2", "Batching and pipelining", "A leader may send several AppendEntries without waiting for replies, and pack many entries into one, to raise throughput."],
];

function entries(source: RefSource, list: Known[], figure: boolean): RefEntry[] {
  return list.map(([key, title, about]) => ({
    source,
    key: figure ? `fig-${key}` : key,
    label: figure ? `Figure ${key}` : source === "thesis" ? `thesis §${key}` : `§${key}`,
    title,
    about,
  }));
}

/** Every section and figure the references page describes, whether or not a lesson cites it. */
export const KNOWN_REFS: readonly RefEntry[] = [
  ...entries("paper", PAPER_SECTIONS, false),
  ...entries("paper", PAPER_FIGURES, true),
  ...entries("thesis", THESIS_SECTIONS, false),
];

/** The anchor of a reference on the references page: "paper-5-4-1", "paper-fig-8", "thesis-9-6". */
export function refAnchor(source: RefSource, key: string): string {
  return `${source}-${key.replace(/\./g, "-")}`;
}

export interface FoundRef {
  source: RefSource;
  key: string;
  /** Offsets of the matched text in the searched string. */
  start: number;
  end: number;
}

// "thesis §9.6", "thesis 9.6", "Ongaro's thesis, §6.4" / "§5.4.1" / "Figure 8", "Fig. 8".
// A section number must not run into a following digit or dot-digit (so "§5.2." ends at "5.2").
const REF_PATTERN = /\b(thesis(?:'s)?,?\s*(?:§\s?|section\s+)?)(\d+(?:\.\d+)*)|§\s?(\d+(?:\.\d+)*)|\b(?:Figure|Fig\.)\s?(\d+)\b/g;

/** Finds the citations in a piece of lesson text, in order. "§" right after "thesis" belongs to the thesis. */
export function findRefs(text: string): FoundRef[] {
  const out: FoundRef[] = [];
  for (const m of text.matchAll(REF_PATTERN)) {
    const start = m.index ?? 0;
    const end = start + m[0].length;
    if (m[2] !== undefined) out.push({ source: "thesis", key: m[2], start, end });
    else if (m[3] !== undefined) out.push({ source: thesisBefore(text, start) ? "thesis" : "paper", key: m[3], start, end });
    else if (m[4] !== undefined) out.push({ source: "paper", key: `fig-${m[4]}`, start, end });
  }
  return out;
}

/** "thesis §4.2.1 and §4.2.2": a bare § continuing a thesis list stays in the thesis. */
function thesisBefore(text: string, start: number): boolean {
  const before = text.slice(Math.max(0, start - 40), start);
  return /thesis(?:'s)?,?\s*(?:§\s?)?\d+(?:\.\d+)*(?:\s*(?:,|and|or|&|–|-)\s*(?:§\s?\d+(?:\.\d+)*)?)*\s*(?:,|and|or|&|–|-)\s*$/.test(before);
}
