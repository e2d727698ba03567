import { Methods } from '@routerd/plugin-sdk';
import type { CheckContext } from './checks/types.js';
import { type Answer, baseRequest, type LoadedVector, materialize } from './vectors.js';
import { NoResponse, type PluginSession } from './wire/plugin-session.js';

export interface RequestRun {
  request: Record<string, unknown>;
  /** The answer, and for vectors that expect a result a second answer to the identical request (determinism). */
  answers: Answer[];
  /** Why there is no (second) answer. */
  problem?: string;
}

export interface VectorRun extends RequestRun {
  vector: LoadedVector;
}

/** One full plugin lifetime with every golden vector of every declared capability: shared by the capability checks. */
export interface Exercise {
  session: PluginSession;
  runs: VectorRun[];
  /** A plain manual request (no events), sent twice whatever the plugin declares. */
  baseRun: RequestRun;
}

export async function runExercise(ctx: CheckContext, vectors: LoadedVector[]): Promise<Exercise> {
  const session = await ctx.open();
  await session.request(Methods.ping, {});
  const baseRun: RequestRun = { request: baseRequest(ctx.timeouts.requestMs), answers: [] };
  await send(session, baseRun, 2);
  const runs: VectorRun[] = [];
  for (const vector of vectors) {
    const run: VectorRun = { vector, request: materialize(vector, ctx.timeouts.requestMs), answers: [] };
    runs.push(run);
    await send(session, run, 'errorCode' in vector.expect ? 1 : 2);
  }
  if (session.running) {
    await session.request(Methods.shutdown, {}).catch(() => undefined);
    session.closeStdin();
    await session.waitExit(ctx.timeouts.exitMs);
  }
  return { session, runs, baseRun };
}

/** Send the run's request `times` times (identical, for the determinism check), recording answers or the problem. */
async function send(session: PluginSession, run: RequestRun, times: number): Promise<void> {
  if (!session.running) {
    run.problem = 'not run: the plugin exited during an earlier request';
    return;
  }
  try {
    for (let i = 0; i < times; i++) {
      const r = await session.request(Methods.run, run.request);
      run.answers.push(r.error ? { error: r.error } : { result: r.result });
    }
  } catch (err) {
    if (!(err instanceof NoResponse)) throw err;
    run.problem = err.message;
  }
}
