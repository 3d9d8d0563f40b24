import type { TestContext } from 'vitest';

/**
 * Skips the running test (or, from `beforeEach`, each test of a suite) when `reason` says what this machine
 * lacks; vitest prints the reason next to the test name, so a skip never hides why.
 */
export function skipIfMissing(ctx: TestContext, reason: string | undefined): void {
  if (reason !== undefined) ctx.skip(reason);
}
