/** Test helper: run a promise expected to fail with a Temporal ApplicationFailure and return it. */
import { ApplicationFailure } from '@temporalio/common';

export async function expectFailure(p: Promise<unknown>): Promise<ApplicationFailure> {
  try {
    await p;
  } catch (err) {
    if (err instanceof ApplicationFailure) return err;
    throw new Error(`expected an ApplicationFailure, got ${err instanceof Error ? `${err.name}: ${err.message}` : String(err)}`);
  }
  throw new Error('expected a failure, but the call succeeded');
}
