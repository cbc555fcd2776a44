// Everything a scenario author imports: `import { defineScenario, steps } from "<path>/grader/api.ts"`.
export { defineScenario, isCore, serverIds, ScenarioError, SWARM_KINDS, DEFAULT_SEEDS, type Scenario, type ScenarioInput, type Step, type Condition, type NodeSet, type ScenarioContext, type SwarmKind, type Visibility } from "./scenario.ts";
export { steps, parseScenarioText, describeStep, describeCondition } from "./dsl.ts";
export { Cluster, ExpectationFailed } from "./cluster.ts";
export type { Subject, RoleView } from "./subject.ts";
