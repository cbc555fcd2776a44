// The cluster a scenario drives: the servers in a Simulation, bound to a
// Subject. It resolves node sets ("leader", "rest", "$old"), runs the steps,
// and evaluates expectations. Which proposals were applied where is taken from
// the trace (the apply events), never from a node's memory; who leads is read
// from the nodes, which is fine for steering a scenario but is never what a
// safety check relies on (the subject's monitors do that).
import { type Prng, type SimEvent, type Simulation, type Violation, healAll, runNemesis, sampleSwarm } from "../harness/sim/index.ts";
import type { Json, NodeId } from "../harness/types.ts";
import { describeCondition } from "./dsl.ts";
import type { Condition, NodeSet, Scenario, ScenarioContext, Step } from "./scenario.ts";
import type { RoleView, Subject } from "./subject.ts";

/** A failed expectation (or a step that cannot run): fails the seed with this rule. */
export class ExpectationFailed extends Error {
  override name = "ExpectationFailed";
  constructor(
    readonly rule: string,
    message: string,
    /** Servers the failure is about, for the report's "last events". */
    readonly nodes: readonly NodeId[] = [],
  ) {
    super(message);
  }
}

/**
 * A scenario's own check on the event stream, added by a code step with
 * ctx.cluster.observer.watch(fn): it sees every later event of the seed, and a
 * Violation it returns fails the run exactly as a monitor's would.
 */
export type Watcher = (ev: SimEvent) => Violation | undefined;

/** Watches the trace for applied proposals and term changes, and runs the scenario's watchers. */
export class Observer {
  readonly name = "grader-observer";
  /** server -> proposal values it has applied (over all its incarnations). */
  readonly applied = new Map<NodeId, Set<string>>();
  /** Bumped on every role event: cheap change detection for "no election". */
  roleEvents = 0;
  private readonly watchers: Watcher[] = [];
  constructor(private readonly subject: Subject) {}

  /** Adds a watcher for the rest of this seed. */
  watch(fn: Watcher): void {
    this.watchers.push(fn);
  }

  onEvent(ev: SimEvent): Violation | undefined {
    if (ev.kind === "apply") {
      const value = this.subject.proposalOf(ev.entry);
      if (value !== undefined) {
        let set = this.applied.get(ev.node);
        if (set === undefined) this.applied.set(ev.node, (set = new Set()));
        set.add(value);
      }
    } else if (ev.kind === "log" && ev.event === "role") {
      this.roleEvents++;
    }
    for (const w of this.watchers) {
      const v = w(ev);
      if (v !== undefined) return v;
    }
    return undefined;
  }
}

export class Cluster {
  readonly servers: readonly NodeId[];
  private readonly vars = new Map<string, NodeId[]>();
  private proposed = 0;

  constructor(
    readonly sim: Simulation<Json>,
    readonly subject: Subject,
    readonly observer: Observer,
    readonly scenario: Scenario,
    readonly rng: Prng,
  ) {
    this.servers = sim.nodeIds().slice(0, scenario.nodes);
  }

  // ------------------------------------------------------------- looking

  /** What a server believes it is, or undefined if it is down. */
  role(id: NodeId): RoleView | undefined {
    const node = this.sim.node(id);
    if (node === undefined) return undefined;
    return this.subject.roleOf(node);
  }

  /** Up servers that believe they lead, newest term first. */
  leaders(): { id: NodeId; term: number }[] {
    const out: { id: NodeId; term: number }[] = [];
    for (const id of this.servers) {
      const r = this.role(id);
      if (r !== undefined && r.role === "leader") out.push({ id, term: r.term });
    }
    return out.sort((a, b) => b.term - a.term || (a.id < b.id ? -1 : 1));
  }

  /** The leader of the newest term that has one, if exactly one server leads in it. */
  leader(): NodeId | undefined {
    const ls = this.leaders();
    if (ls.length === 0) return undefined;
    if (ls.length > 1 && ls[1].term === ls[0].term) return undefined;
    return ls[0].id;
  }

  /** Proposal values applied on a server so far. */
  appliedOn(id: NodeId): number {
    return this.observer.applied.get(id)?.size ?? 0;
  }

  terms(): string {
    return this.servers
      .map((id) => {
        const r = this.role(id);
        return r === undefined ? `${id} down` : `${id} ${r.role} t${r.term}`;
      })
      .join(", ");
  }

  // ------------------------------------------------------------ node sets

  /** Resolves a node set to server ids, in server order. `named` collects what earlier groups of a step named (for "rest"). */
  resolve(set: NodeSet, named: Set<NodeId> = new Set()): NodeId[] {
    const out = new Set<NodeId>();
    for (const ref of set) for (const id of this.resolveRef(ref, named)) out.add(id);
    return this.servers.filter((id) => out.has(id));
  }

  private resolveRef(ref: string, named: Set<NodeId>): NodeId[] {
    switch (ref) {
      case "leader": {
        const l = this.leader();
        if (l === undefined) {
          throw new ExpectationFailed("no-leader-to-act-on", `the step needs the current leader, but there is none (${this.terms()}); to wait for one, put "run until leader within 3s" before this step`);
        }
        return [l];
      }
      case "followers": {
        const l = this.leader();
        return this.servers.filter((id) => id !== l && this.sim.isUp(id));
      }
      case "all":
        return [...this.servers];
      case "up":
        return this.servers.filter((id) => this.sim.isUp(id));
      case "down":
        return this.servers.filter((id) => !this.sim.isUp(id));
      case "rest":
        return this.servers.filter((id) => !named.has(id));
      case "random": {
        const up = this.servers.filter((id) => this.sim.isUp(id));
        if (up.length === 0) throw new ExpectationFailed("no-server-up", "the step picks a random up server, but every server is down");
        return [this.rng.pick(up)];
      }
    }
    if (ref.startsWith("$")) {
      const v = this.vars.get(ref);
      if (v === undefined) throw new ExpectationFailed("scenario-error", `${ref} was never set: add "remember ... as ${ref}" before this step`);
      return v;
    }
    if (!this.servers.includes(ref)) {
      throw new ExpectationFailed("scenario-error", `the scenario names ${ref}, but the cluster has ${this.servers.join(", ")}`);
    }
    return [ref];
  }

  // --------------------------------------------------------------- acting

  /** Sends count new commands to each server of the set; returns their values. */
  propose(on: readonly NodeId[], count: number): string[] {
    const values: string[] = [];
    for (const to of on) {
      for (let i = 0; i < count; i++) {
        const value = `p${++this.proposed}`;
        values.push(value);
        this.subject.propose(this.sim, to, value);
      }
    }
    return values;
  }

  remember(name: string, ids: NodeId[]): void {
    this.vars.set(name, ids);
  }

  // ---------------------------------------------------------- conditions

  /** undefined if the condition holds, else why not (plain words). */
  check(cond: Condition): { why: string; nodes: NodeId[] } | undefined {
    switch (cond.kind) {
      case "oneLeader": {
        const ls = this.leaders();
        if (ls.length === 0) return { why: `no server is leader (${this.terms()})`, nodes: [] };
        if (ls.length > 1 && ls[1].term === ls[0].term) {
          const same = ls.filter((l) => l.term === ls[0].term).map((l) => l.id);
          return { why: `${same.join(" and ")} all lead term ${ls[0].term}`, nodes: same };
        }
        return undefined;
      }
      case "noLeader": {
        const among = cond.among === undefined ? this.servers : this.resolve(cond.among);
        const ls = this.leaders().filter((l) => among.includes(l.id));
        if (ls.length === 0) return undefined;
        return { why: `${ls.map((l) => `${l.id} leads term ${l.term}`).join(", ")}`, nodes: ls.map((l) => l.id) };
      }
      case "leaderIn":
      case "leaderNotIn": {
        const among = this.resolve(cond.among);
        const l = this.leader();
        const inside = l !== undefined && among.includes(l);
        if (cond.kind === "leaderIn" && !inside) {
          return { why: l === undefined ? `there is no single leader (${this.terms()})` : `the leader is ${l}, not one of ${among.join(", ")}`, nodes: l === undefined ? [] : [l] };
        }
        if (cond.kind === "leaderNotIn" && (l === undefined || inside)) {
          return l === undefined ? { why: `there is no single leader (${this.terms()})`, nodes: [] } : { why: `${l} is still the leader`, nodes: [l] };
        }
        return undefined;
      }
      case "committed": {
        if (cond.on === "majority") {
          const have = this.servers.filter((id) => this.appliedOn(id) >= cond.count);
          const need = Math.floor(this.servers.length / 2) + 1;
          if (have.length >= need) return undefined;
          return { why: `only ${have.length} of ${this.servers.length} servers applied ${cond.count} proposals (need ${need}): ${this.appliedCounts()}`, nodes: [...this.servers] };
        }
        const on = this.resolve(cond.on);
        const short = on.filter((id) => this.appliedOn(id) < cond.count);
        if (short.length === 0) return undefined;
        return { why: `${short.join(", ")} applied fewer than ${cond.count} of the ${this.proposed} proposals: ${this.appliedCounts()}`, nodes: short };
      }
      case "messagesAtMost":
      case "termsStable":
        return undefined; // window conditions: see holdFor
    }
  }

  private appliedCounts(): string {
    return this.servers.map((id) => `${id} ${this.appliedOn(id)}`).join(", ");
  }

  /** Fails unless cond holds now. */
  expectNow(cond: Condition): void {
    const bad = this.check(cond);
    if (bad !== undefined) throw new ExpectationFailed(ruleOf(cond), `expected ${describeCondition(cond)}, but ${bad.why}`, bad.nodes);
  }

  /** Runs until cond holds, or fails after ms of virtual time. */
  expectWithin(cond: Condition, ms: number): void {
    let last: { why: string; nodes: NodeId[] } | undefined;
    const ok = this.sim.runUntil(() => (last = this.check(cond)) === undefined, { maxMs: ms });
    if (ok || this.sim.failure !== null) return;
    throw new ExpectationFailed(ruleOf(cond), `expected ${describeCondition(cond)} within ${ms} ms, but after ${ms} ms ${last?.why ?? "it never held"}`, last?.nodes ?? []);
  }

  /** Runs for ms, failing at the first moment cond stops holding. */
  holdFor(cond: Condition, ms: number): void {
    const startMsgs = this.sim.stats.messagesSent;
    const startMs = this.sim.now();
    const terms = new Map(this.servers.map((id) => [id, this.role(id)?.term]));
    let why: { why: string; nodes: NodeId[] } | undefined;
    const broken = (): boolean => {
      if (cond.kind === "messagesAtMost") {
        const sent = this.sim.stats.messagesSent - startMsgs;
        if (sent > cond.count) why = { why: `${sent} messages were sent by t=${this.sim.now()} ms, ${this.sim.now() - startMs} ms into the window`, nodes: [] };
      } else if (cond.kind === "termsStable") {
        for (const id of this.servers) {
          const t = this.role(id)?.term;
          const before = terms.get(id);
          if (t !== undefined && before !== undefined && t !== before) {
            why = { why: `${id} moved from term ${before} to term ${t} at t=${this.sim.now()} ms, although nothing failed`, nodes: [id] };
            break;
          }
          if (before === undefined && t !== undefined) terms.set(id, t);
        }
      } else why = this.check(cond);
      return why !== undefined;
    };
    const hit = this.sim.runUntil(broken, { maxMs: ms });
    if (hit && this.sim.failure === null) {
      throw new ExpectationFailed(ruleOf(cond), `expected ${describeCondition(cond)} for ${ms} ms, but ${why?.why ?? "it stopped holding"}`, why?.nodes ?? []);
    }
  }

  // ----------------------------------------------------------------- steps

  /** Runs one step. Throws ExpectationFailed when an expectation or the step itself fails. */
  runStep(step: Step, ctx: ScenarioContext, seed: number): void {
    const sim = this.sim;
    switch (step.do) {
      case "run":
        sim.runFor(step.ms);
        return;
      case "runUntil":
        this.expectWithin(step.until, step.withinMs);
        return;
      case "expect":
        if (step.timing.mode === "now") this.expectNow(step.cond);
        else if (step.timing.mode === "within") this.expectWithin(step.cond, step.timing.ms);
        else this.holdFor(step.cond, step.timing.ms);
        return;
      case "partition": {
        const named = new Set<NodeId>();
        const groups: NodeId[][] = [];
        for (const g of step.groups) {
          const ids = this.resolve(g, named);
          for (const id of ids) named.add(id);
          groups.push(ids);
        }
        sim.partition(groups.filter((g) => g.length > 0));
        return;
      }
      case "isolate":
        for (const id of this.resolve(step.who)) sim.isolate(id);
        return;
      case "cut":
        for (const from of this.resolve(step.from)) for (const to of this.resolve(step.to)) if (from !== to) sim.cutLink(from, to);
        return;
      case "heal":
        sim.heal();
        return;
      case "crash":
        for (const id of this.resolve(step.who)) sim.crash(id, { torn: step.torn });
        return;
      case "restart":
        for (const id of this.resolve(step.who)) if (!sim.isUp(id)) sim.restart(id);
        return;
      case "pause":
        for (const id of this.resolve(step.who)) sim.pause(id, step.ms);
        return;
      case "clock":
        for (const id of this.resolve(step.who)) sim.setClock(id, { driftPpm: step.driftPpm, offsetMs: step.offsetMs });
        return;
      case "faults":
        sim.setLinkFaults(step.faults);
        return;
      case "propose":
        this.propose(this.resolve(step.on), step.count);
        return;
      case "remember":
        this.remember(step.as, this.resolve(step.who));
        return;
      case "nemesis": {
        const allow = Object.fromEntries(this.scenario.swarm.map((k) => [k, true]));
        const plan = sampleSwarm(seed, { allow: { drop: false, dupe: false, reorder: false, partitions: false, oneWayCuts: false, crashes: false, tornWrites: false, pauses: false, clockDrift: false, wipes: false, ...allow } });
        sim.note(`nemesis plan: ${JSON.stringify(plan)}`);
        runNemesis(sim, this.servers, plan, step.ms, { allowMajorityDown: step.allowMajorityDown });
        // runNemesis schedules the heal at the end; run one more ms so it has happened.
        sim.runFor(step.ms + 1);
        if (sim.failure === null && this.servers.some((id) => !sim.isUp(id))) healAll(sim, this.servers);
        return;
      }
      case "note":
        sim.note(step.text);
        return;
      case "code":
        step.fn(ctx);
        return;
    }
  }
}

/** A stable rule id per kind of expectation, for reports and JSON. */
function ruleOf(cond: Condition): string {
  switch (cond.kind) {
    case "oneLeader":
      return "expected-one-leader";
    case "noLeader":
      return "expected-no-leader";
    case "leaderIn":
      return "expected-leader-in";
    case "leaderNotIn":
      return "expected-leader-change";
    case "committed":
      return "expected-committed";
    case "messagesAtMost":
      return "message-budget";
    case "termsStable":
      return "expected-no-election";
  }
}
