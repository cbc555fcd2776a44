// GIVEN CODE: assertions in the TigerBeetle style. An assertion that fires is a
// bug in the node; the simulator reports it as a failure with the message.
export class AssertionError extends Error {
  override name = "AssertionError";
}

export function assert(condition: boolean, message: string): asserts condition {
  if (!condition) throw new AssertionError(message);
}
