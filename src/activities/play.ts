/**
 * The `play` activity: one generation and its reward in a single activity, so a play costs one
 * activity (and one workflow task) in history instead of two.
 *
 * Nothing paid for is paid twice. The generation is memoised in the prompt's scope of the store
 * (./playMemos.ts), write-once, under (workflow ID, action ID, request key), as ONE synced file
 * holding the response text and the call's facts: a retry after a failed reward, a crash after
 * the model answered, or a later run of the same prompt workflow (`toa sweep retry`, a reset)
 * reuses it. The request key hashes everything that shapes the request (context, agent, action,
 * inputs), so a memo is only ever reused for the identical request. When two attempts race (one
 * timed out but still running), the first memo written wins and both return it, so the response
 * the workflow sees is the one in the store.
 *
 * The reward is memoised per workflow *run*, unsynced (a killed worker's memo survives in the page
 * cache; a power loss only costs scoring again): retries within the run reuse it; a new run
 * (after the user fixed a reward endpoint, say) scores again.
 *
 * Outside a workflow run (tests, benchmarks calling the function directly) nothing is memoised
 * and the response goes to the global texts.
 */
import { asyncLocalStorage } from '@temporalio/activity';
import { configError } from '../http/failures';
import { checkPath, checkPlay, type AllowList } from './allowList';
import { deriveSeed } from '../search/prng';
import { BoundedCache } from './boundedCache';
import type { createGenerate } from './generate';
import { playMemoNames, PromptPlays, type RecalledGeneration } from './playMemos';
import type { createScore } from './score';
import { getText, putText, storeFailure, storeFor } from './texts';
import type { PlayContext, PlayInput, PlayOutput, PutPlayContextInput } from './types';

export interface PlayDeps {
  generate: ReturnType<typeof createGenerate>;
  score: ReturnType<typeof createScore>;
  /** What this worker may call, send and touch (./allowList.ts): checked before anything is paid for. */
  allow: AllowList;
}

/** Local activity run by the workflow once per prompt: stores the play context, returns its key. */
export async function putPlayContext(input: PutPlayContextInput): Promise<string> {
  const store = storeFor(input.store);
  try {
    return await store.put(JSON.stringify(input.context));
  } catch (err) {
    throw storeFailure(err, 'storing the play context');
  }
}

export function createPlay(deps: PlayDeps): (input: PlayInput) => Promise<PlayOutput> {
  const contexts = new BoundedCache<PlayContext>(2000);
  // Whether a run's prompt has a pack, looked up once per run rather than once per play: a pack
  // appears when the record writer finishes the run, after its last play, so within a run the
  // answer does not change (a reset is a new run and looks again).
  const packInRun = new BoundedCache<boolean>(5000);
  return async function play(input: PlayInput): Promise<PlayOutput> {
    await checkPath(deps.allow, 'the response store', input.store?.root, 'write');
    const store = storeFor(input.store);
    const ctx = await contexts.getOr(input.contextRef, async () =>
      JSON.parse(await getText(store, input.contextRef, 'the play context')) as PlayContext,
    );
    const agent = ctx.agents.find((a) => a.name === input.action.agent);
    if (!agent) throw configError(`play ${input.action.id}: agent "${input.action.agent}" is not in the play context`);
    // The whole play (generation and reward) is checked before its first request.
    checkPlay(deps.allow, agent, ctx.reward);

    const info = asyncLocalStorage.getStore()?.info;
    const run = info?.workflowExecution;
    const hasPack = run && (await packInRun.getOr(`${run.workflowId}\n${run.runId}`, () => new PromptPlays(store, run.workflowId).hasPack()));
    const plays = run && new PromptPlays(store, run.workflowId, !hasPack);
    const generate = async (): Promise<RecalledGeneration> => {
      const g = await deps.generate({
        agent,
        store: input.store,
        workflowId: run?.workflowId,
        promptRef: ctx.promptRef,
        action: input.action,
        inputRefs: input.inputRefs,
        templates: ctx.templates,
        seed: deriveSeed(ctx.seed, ctx.promptId, input.action.id),
        label: `${ctx.promptId} ${input.action.id}`,
      });
      return { ref: g.ref, text: g.text, promptTokens: g.promptTokens, completionTokens: g.completionTokens, latencyMs: g.latencyMs };
    };
    const score = async (gen: RecalledGeneration): Promise<{ reward: number }> => {
      const { reward } = await deps.score({
        reward: ctx.reward,
        store: input.store,
        promptRef: ctx.promptRef,
        responseRef: gen.ref,
        response: gen.text,
        referenceRef: ctx.referenceRef,
        promptId: ctx.promptId,
        model: agent.model,
      });
      return { reward };
    };

    let gen: RecalledGeneration;
    let scored: { reward: number };
    if (plays) {
      const memo = playMemoNames(run.workflowId, input.contextRef, input.action, input.inputRefs);
      const request = { contextRef: input.contextRef, action: input.action, inputRefs: input.inputRefs };
      gen = (await plays.recallGeneration(memo.generation, request)) ?? (await plays.storeGeneration(memo.generation, await generate()));
      // The reward memo is per run and action: only an earlier attempt of this activity can have written it.
      scored = await plays.memoised(memo.rewardInRun(run.runId), () => score(gen), { fresh: info.attempt === 1 });
    } else {
      gen = await generate();
      await putText(store, gen.text, `the response of action ${input.action.id}`);
      scored = await score(gen);
    }
    return { ref: gen.ref, promptTokens: gen.promptTokens, completionTokens: gen.completionTokens, reward: scored.reward };
  };
}
