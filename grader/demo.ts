// `npm run demo [-- --seed N --nodes N]`: the reference Raft KV on the
// simulator, telling the story a newcomer wants to see: an election, writes
// replicated and applied on every server, the leader killed, a new election,
// the old leader restarted and catching up. Same seed, same story.
import type { Monitor, SimEvent } from "../harness/sim/index.ts";
import { parseSeed, Simulation } from "../harness/sim/index.ts";
import type { ClientReply, EntryData, KvOp, Msg } from "../harness/raft/messages.ts";
import { raftMonitors } from "../harness/raft/monitors.ts";
import type { Json, Node, NodeId } from "../harness/types.ts";
import type { RaftNode } from "../labs/given/node.ts";
import { referenceNode } from "../solutions/node.ts";

function parseArgs(argv: string[]): { seed: number; nodes: number } {
  let seed = 1;
  let nodes = 3;
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (a === "--seed") seed = parseSeed(argv[++i] ?? "");
    else if (a === "--nodes") nodes = Number(argv[++i]);
    else if (a === "--help" || a === "-h") {
      console.log("usage: npm run demo -- [--seed N] [--nodes N]   (nodes: 1 to 9, default 3)");
      process.exit(0);
    } else throw new Error(`unknown option "${a}"; try --help`);
  }
  if (!(Number.isInteger(nodes) && nodes >= 1 && nodes <= 9)) throw new Error(`--nodes must be 1 to 9, got ${nodes}`);
  return { seed, nodes };
}

function describeOp(op: KvOp): string {
  switch (op.op) {
    case "get":
      return `GET ${op.key}`;
    case "set":
      return `SET ${op.key} ${op.value}`;
    case "append":
      return `APPEND ${op.key} ${op.value}`;
    case "del":
      return `DEL ${op.key}`;
    case "cas":
      return `CAS ${op.key} ${op.expected ?? "(absent)"} ${op.value}`;
  }
}

function describeData(data: EntryData): string {
  if (data.kind === "noop") return "no-op (new leader)";
  if (data.kind === "config") return `config voters=${data.config.voters.join(",")}`;
  const c = data.command as { clientId?: string; seq?: number; op?: KvOp };
  return c.op !== undefined ? describeOp(c.op) : JSON.stringify(data.command);
}

const say = (text: string) => console.log(text);
const at = (ms: number) => `t=${String(ms).padStart(5)}ms`;

/** Prints the events worth telling, as they happen. */
class Narrator implements Monitor {
  readonly name = "narrator";
  quiet = false;
  onEvent(ev: SimEvent): undefined {
    if (this.quiet) return undefined;
    switch (ev.kind) {
      case "log":
        if (ev.event === "role" && (ev.fields.role === "leader" || ev.fields.role === "candidate")) {
          const verb = ev.fields.role === "leader" ? "became LEADER of" : "timed out, campaigns in";
          say(`${at(ev.timeMs)}  ${ev.node} ${verb} term ${String(ev.fields.term)}`);
        } else if (ev.event === "restore" && (ev.fields.lastIndex as number) > 0) {
          const f = ev.fields;
          say(`${at(ev.timeMs)}  ${ev.node} recovered from disk: term ${String(f.term)}, ` + `${String(f.lastIndex)} log entries`);
        }
        break;
      case "apply":
        if (ev.entry.kind === "entry") {
          const what = describeData(ev.entry.command as unknown as EntryData);
          say(`${at(ev.timeMs)}  ${ev.node} applied #${ev.entry.index} (term ${ev.entry.term}) ${what}`);
        }
        break;
      case "crash":
        say(`${at(ev.timeMs)}  ${ev.node} CRASHED (memory lost; only synced disk survives)`);
        break;
      case "restart":
        say(`${at(ev.timeMs)}  ${ev.node} restarts`);
        break;
    }
    return undefined;
  }
}

function main(): number {
  const { seed, nodes } = parseArgs(process.argv.slice(2));
  const servers: NodeId[] = Array.from({ length: nodes }, (_, i) => `s${i + 1}`);
  const narrator = new Narrator();
  const monitors = raftMonitors();
  const sim = new Simulation<Msg>({ seed, nodes: servers, factory: referenceNode(servers), monitors: [...monitors.all, narrator] });

  // A tiny client endpoint: sends one request at a time and prints the answer.
  const inbox: { reply: ClientReply | null } = { reply: null };
  const client: Node<Msg> = { onMessage: (_from, msg) => void (msg.type === "ClientReply" && (inbox.reply = msg)), onTimer: () => {} };
  sim.addNode("client", () => client);
  let seq = 0;

  const raft = (id: NodeId) => (sim.node(id) as RaftNode | undefined)?.state;
  const leader = () => servers.find((id) => sim.isUp(id) && raft(id)?.role === "leader");
  const request = (op: KvOp): boolean => {
    seq++;
    for (let attempt = 0; attempt < 20; attempt++) {
      const to = leader();
      if (to === undefined) {
        sim.runFor(100);
        continue;
      }
      inbox.reply = null;
      say(`client: ${describeOp(op)}  (sent to leader ${to})`);
      sim.inject("client", to, { type: "ClientRequest", clientId: "client", seq, op, readMode: "linearizable" });
      sim.runUntil(() => inbox.reply !== null, { maxMs: 1000 });
      const r = (inbox as { reply: ClientReply | null }).reply; // set by the client endpoint meanwhile
      if (r !== null && r.ok) {
        const v = r.result.value === null ? "(none)" : r.result.value;
        say(`client: ${describeOp(op)} -> ok${op.op === "get" ? `: ${v}` : ""}`);
        return true;
      }
    }
    say(`client: ${describeOp(op)} did not complete`);
    return false;
  };
  const showState = () => {
    const view: { [id: string]: Json } = {};
    for (const id of servers) {
      const s = raft(id);
      if (s === undefined) {
        view[id] = { state: "down" };
        continue;
      }
      view[id] = {
        state: s.role,
        term: s.currentTerm,
        commitIndex: s.commitIndex,
        log: s.log.all().map((e) => `${e.index} t${e.term} ${describeData(e.data)}`),
        state_machine: Object.fromEntries([...s.kv.data.entries()].sort()),
      };
    }
    say(JSON.stringify(view, null, 2));
  };
  const section = (title: string) => say(`\n== ${title} ${"=".repeat(Math.max(0, 74 - title.length))}`);

  say(`Raft Workbook demo: ${nodes} servers (${servers.join(" ")}), seed ${seed}`);
  say("Times are virtual milliseconds on the simulator's clock.");

  section("1. Election (§5.2)");
  say("Every server starts as a follower with a random election timeout.");
  sim.runUntil(() => leader() !== undefined, { maxMs: 5000 });
  sim.runFor(50);

  section("2. Writes are replicated, committed, applied (§5.3)");
  request({ op: "set", key: "x", value: "1" });
  request({ op: "set", key: "y", value: "2" });
  request({ op: "append", key: "x", value: "+3" });
  sim.runFor(120); // a heartbeat carries the new commit index to followers
  request({ op: "get", key: "x" });

  section("3. Every server's state");
  showState();

  const old = leader();
  if (old !== undefined && nodes > 1) {
    section(`4. Kill the leader ${old}`);
    sim.crash(old);
    sim.runUntil(() => leader() !== undefined, { maxMs: 5000 });
    request({ op: "set", key: "z", value: "after-crash" });
    request({ op: "get", key: "x" });

    section(`5. Restart ${old}: it recovers from disk and catches up (§5.3)`);
    sim.restart(old);
    sim.runFor(600);
    showState();
  }

  section("Checks");
  sim.finish();
  const f = sim.failure;
  if (f !== null) {
    say(`VIOLATION ${f.rule} (${f.section ?? ""}): ${f.message}`);
    return 1;
  }
  say(`${monitors.all.length} safety monitors watched all ${sim.trace.count} events: no violation.`);
  say(`trace hash ${sim.trace.hash()} (same seed, same hash)`);
  return 0;
}

process.exitCode = main();
