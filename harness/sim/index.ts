// The simulator's public surface, for tests, scenarios and the grader.
export { Simulation, type SimOptions, type SimStats } from "./simulation.ts";
export { Prng, Streams, parseSeed, splitmix32 } from "./prng.ts";
export { Trace, Fnv64, describeEvent, recordToJson, type SimEvent, type SimEventKind, type TraceMode, type DropReason } from "./trace.ts";
export { type Monitor, type Violation, type Failure, OneLeaderPerTermMonitor } from "./monitor.ts";
export { Coverage, CoverageBatch } from "./coverage.ts";
export { type LinkFaults, type DelaySpec, DEFAULT_DELAY_MS } from "./network.ts";
export { SimStorage, StorageLimitError, type StorageLimits } from "./storage.ts";
export { sampleSwarm, runNemesis, healAll, hasNemesis, type SwarmPlan, type SwarmOptions } from "./swarm.ts";
