import OpenAI from 'openai';
import { startFakeOpenAI } from '../../src/testing/fakeOpenAI';
import { startFakeReward } from '../../src/testing/fakeReward';
async function main() {
  const oa = await startFakeOpenAI({ models: { m: { quality: 0.5 } } });
  const rw = await startFakeReward({});
  const client = new OpenAI({ baseURL: oa.url, apiKey: 'x', maxRetries: 0 });
  const t = async (label: string, fn: () => Promise<unknown>) => {
    const xs: number[] = [];
    for (let i = 0; i < 60; i++) { const t0 = performance.now(); await fn(); xs.push(performance.now() - t0); }
    xs.sort((a, b) => a - b);
    console.log(label, 'p50', xs[30]!.toFixed(2), 'p90', xs[54]!.toFixed(2));
  };
  await t('chat', () => client.chat.completions.create({ model: 'm', messages: [{ role: 'user', content: 'hi there' }], max_tokens: 2048 }).asResponse().then((r) => r.text()));
  await t('reward', () => fetch(rw.url, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ prompt: 'p', response: '[q=0.5] x' }) }).then((r) => r.text()));
  await oa.close(); await rw.close();
}
main();
