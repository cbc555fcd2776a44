// The Raft node as a grader Subject: a module table assembled from labs/ (the
// student's files) and solutions/ (the reference), per lab, as the given glue
// (labs/given/node.ts) allows. Loaded only inside workers: student code never
// runs in the grader's main thread.
import { existsSync } from "node:fs";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import type { EntryData, KvCommand, Msg } from "../../harness/raft/messages.ts";
import { raftMonitors } from "../../harness/raft/monitors.ts";
import type { Simulation } from "../../harness/sim/index.ts";
import type { Applied, Json, Node, NodeFactory, NodeId } from "../../harness/types.ts";
import { DEFAULT_CONFIG, type RaftConfig, raftConfig } from "../../labs/given/config.ts";
import { createRaftNode, type RaftNode } from "../../labs/given/node.ts";
import type { RaftModules } from "../../labs/given/state.ts";
import { RAFT_MODULES, REPO_DIR, type RaftModuleName } from "../labs.ts";
import { type Subject, summarizeView } from "../subject.ts";

export type ModuleSource = "labs" | "solutions";
export type ModuleTable = Readonly<Record<RaftModuleName, ModuleSource>>;

/** The endpoint scenario proposals come from. */
const PROPOSER = "grader";
const PROPOSAL_CLIENT_PREFIX = "grader-";
const PROPOSAL_KEY = "k";

/** Config keys a scenario may override, with the type each takes (bugs: a list of names). */
const CONFIG_KEYS: Readonly<Record<string, Json>> = { ...(DEFAULT_CONFIG as unknown as Record<string, Json>), bugs: [] };

/** A module that cannot be used as it is: the message says what to do; no stack needed. */
export class ModuleLoadError extends Error {
  override name = "ModuleLoadError";
}

async function loadModule(name: RaftModuleName, source: ModuleSource): Promise<RaftModules[RaftModuleName]> {
  const file = join(REPO_DIR, source, `${name}.ts`);
  if (!existsSync(file)) {
    throw new ModuleLoadError(
      source === "labs"
        ? `${source}/${name}.ts is missing: this lab grades your ${name} module. Restore the stub (git checkout labs/${name}.ts), or grade the reference with --solution`
        : `${source}/${name}.ts is missing from the reference`,
    );
  }
  const mod = (await import(pathToFileURL(file).href)) as Record<string, unknown>;
  const table = mod[name];
  if (table === null || typeof table !== "object") {
    throw new ModuleLoadError(`${source}/${name}.ts must export \`const ${name}\` (the module table the glue calls); it exports: ${Object.keys(mod).join(", ") || "nothing"}`);
  }
  return table as RaftModules[RaftModuleName];
}

function toRaftConfig(ids: readonly NodeId[], config: Readonly<Record<string, Json>>): RaftConfig {
  const { bugs, ...rest } = config;
  const overrides = { ...(rest as Partial<Omit<RaftConfig, "members">>) };
  return raftConfig(ids, Array.isArray(bugs) ? { ...overrides, bugs: new Set(bugs.map(String)) } : overrides);
}

function isRaftNode(node: Node<Json>): node is Node<Json> & { state: RaftNode["state"] } {
  const s = (node as { state?: unknown }).state;
  return s !== null && typeof s === "object" && "role" in s && "currentTerm" in s;
}

export async function raftSubject(table: ModuleTable): Promise<Subject> {
  const modules = {} as Record<RaftModuleName, unknown>;
  for (const name of RAFT_MODULES) modules[name] = await loadModule(name, table[name]);
  const raftModules = modules as unknown as RaftModules;
  const mine = RAFT_MODULES.filter((m) => table[m] === "labs");
  return {
    description: mine.length === 0 ? "the reference (solutions/)" : `your ${mine.join(", ")} (labs/) with the reference for the rest`,
    checkConfig(config) {
      for (const [key, value] of Object.entries(config)) {
        if (!(key in CONFIG_KEYS)) return `unknown config key "${key}"; known keys: ${Object.keys(CONFIG_KEYS).sort().join(", ")}`;
        const want = Array.isArray(CONFIG_KEYS[key]) ? "array" : typeof CONFIG_KEYS[key];
        const got = Array.isArray(value) ? "array" : typeof value;
        if (want !== got) return `config ${key} must be a ${want}, got ${JSON.stringify(value)}`;
      }
      try {
        toRaftConfig(["n1"], config);
      } catch (err) {
        return err instanceof Error ? err.message : String(err);
      }
      return undefined;
    },
    factory(ids, config): NodeFactory<Json> {
      return createRaftNode(raftModules, toRaftConfig(ids, config)) as unknown as NodeFactory<Json>;
    },
    monitors: () => raftMonitors().all,
    propose(sim: Simulation<Json>, to: NodeId, value: string): void {
      if (!sim.nodeIds().includes(PROPOSER)) sim.addNode(PROPOSER, () => ({ onMessage() {}, onTimer() {} }));
      const msg: Msg = { type: "ClientRequest", clientId: `${PROPOSAL_CLIENT_PREFIX}${value}`, seq: 1, op: { op: "set", key: PROPOSAL_KEY, value }, readMode: "linearizable" };
      sim.inject(PROPOSER, to, msg as unknown as Json);
    },
    proposalOf(entry: Applied): string | undefined {
      if (entry.kind !== "entry") return undefined;
      const data = entry.command as unknown as EntryData | null;
      if (data === null || typeof data !== "object" || data.kind !== "command") return undefined;
      const cmd = data.command as unknown as KvCommand | null;
      if (cmd === null || typeof cmd !== "object" || typeof cmd.clientId !== "string" || !cmd.clientId.startsWith(PROPOSAL_CLIENT_PREFIX)) return undefined;
      return cmd.clientId.slice(PROPOSAL_CLIENT_PREFIX.length);
    },
    roleOf(node) {
      if (!isRaftNode(node)) return undefined;
      return { role: node.state.role, term: node.state.currentTerm };
    },
    summarize: summarizeView,
    caseOf(ev) {
      if (ev.kind !== "log") return undefined;
      switch (ev.event) {
        case "check-quorum-failed":
          return "check-quorum-step-down";
        case "install-snapshot":
          return "snapshot-installed";
        case "snapshot":
          return "snapshot-taken";
        case "config":
          return "config-change";
        case "timeout-now":
          return "leadership-transfer";
        case "restore":
          return typeof ev.fields.droppedRecords === "number" && ev.fields.droppedRecords > 0 ? "torn-record-dropped" : undefined;
        default:
          return undefined;
      }
    },
  };
}
