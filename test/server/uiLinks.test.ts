/** Which Temporal UI the CLI links to: never a guessed one for a self-hosted cluster. */
import { UNKNOWN_UI, uiBaseFor, uiSweepUrl, uiWorkflowUrl } from '../../src/client/connect';

describe('uiBaseFor', () => {
  test("the embedded server's own UI wins", () => {
    expect(uiBaseFor({ address: '127.0.0.1:7233', uiUrl: 'http://127.0.0.1:8233' }, { TEMPORAL_UI_URL: 'http://x:1' })).toBe(
      'http://127.0.0.1:8233',
    );
  });
  test('a cluster uses TEMPORAL_UI_URL (trailing slashes dropped)', () => {
    expect(uiBaseFor({ address: 'temporal.internal:7233' }, { TEMPORAL_UI_URL: ' https://ui.internal:8080// ' })).toBe(
      'https://ui.internal:8080',
    );
  });
  test('Temporal Cloud addresses link to the cloud UI', () => {
    expect(uiBaseFor({ address: 'ns.acct.tmprl.cloud:7233' }, {})).toBe('https://cloud.temporal.io');
    expect(uiBaseFor({ address: 'us-east-1.aws.api.temporal.io:7233' }, {})).toBe('https://cloud.temporal.io');
    expect(uiBaseFor({ address: 'tmprl.cloud.example.com:7233' }, {})).toBeUndefined();
  });
  test('a self-hosted cluster without TEMPORAL_UI_URL has no UI (not a guessed localhost:8233)', () => {
    expect(uiBaseFor({ address: 'temporal.internal:7233' }, {})).toBeUndefined();
  });
});

test('links filter by workflow ID or sweep; without a UI they say how to get one', () => {
  const toa = { uiUrl: 'https://ui.internal:8080', namespace: 'research' };
  expect(uiSweepUrl(toa, 'wmt22-abc')).toBe(
    'https://ui.internal:8080/namespaces/research/workflows?query=ToaSweepId%3D%22wmt22-abc%22',
  );
  expect(uiWorkflowUrl(toa, 'w/toa/b4/s0/q1')).toBe(
    'https://ui.internal:8080/namespaces/research/workflows?query=WorkflowId%3D%22w%2Ftoa%2Fb4%2Fs0%2Fq1%22',
  );
  expect(uiSweepUrl({ uiUrl: undefined, namespace: 'default' }, 's')).toBe(UNKNOWN_UI);
  expect(UNKNOWN_UI).toMatch(/TEMPORAL_UI_URL/);
});
