/**
 * `npx tsx bench/authorize.ts`: per-evaluation cost of authorizing execute-api:Invoke.
 *
 *  - library, validated: iam-simulate's async `runSimulation` (for reference, not used by the gateway)
 *  - uncached: `Authorizer.decide` on N distinct ARNs, every one a cache miss (`runUnsafeSimulation`)
 *  - cached:   `Authorizer.decide` N times on one ARN, every one after the first a cache hit
 *
 * Prints ms per evaluation and the ratios, measured in this one run.
 */
import { runSimulation } from '@cloud-copilot/iam-simulate';
import { Authorizer, INVOKE_ACTION, type Principal, type RequestFacts } from '../src/gateway/authorize';

const N = 2000;
const EXECUTION_ARN = 'arn:aws:execute-api:us-east-1:123456789012:abc123';

const editor: Principal = {
  userName: 'iam-http-api-dev-editor',
  userArn: 'arn:aws:iam::123456789012:user/iam-http-api/iam-http-api-dev-editor',
  accountId: '123456789012',
  policies: [
    {
      Version: '2012-10-17',
      Statement: [
        {
          Sid: 'InvokeAllowedRoutes',
          Effect: 'Allow',
          Action: 'execute-api:Invoke',
          Resource: ['GET', 'POST', 'PUT', 'PATCH'].map((method) => `${EXECUTION_ARN}/$default/${method}/*`),
        },
      ],
    },
  ],
};

const facts: RequestFacts = { sourceIp: '127.0.0.1', now: new Date(), secureTransport: false, region: 'us-east-1' };

const arnFor = (i: number): string => `${EXECUTION_ARN}/$default/GET/items/${i}`;

function msPer(n: number, started: bigint): number {
  return Number(process.hrtime.bigint() - started) / 1e6 / n;
}

async function libraryValidated(n: number): Promise<number> {
  const started = process.hrtime.bigint();
  for (let i = 0; i < n; i++) {
    const result = await runSimulation(
      {
        request: {
          principal: editor.userArn,
          action: INVOKE_ACTION,
          resource: { resource: arnFor(i), accountId: editor.accountId },
          contextVariables: { 'aws:SourceIp': facts.sourceIp },
        },
        identityPolicies: editor.policies.map((policy, index) => ({ name: `inline-${index}`, policy })),
        serviceControlPolicies: [],
        resourceControlPolicies: [],
      },
      {},
    );
    if (result.resultType === 'error' || result.overallResult !== 'Allowed') throw new Error('unexpected library result');
  }
  return msPer(n, started);
}

function uncached(n: number): number {
  const authorizer = new Authorizer();
  const started = process.hrtime.bigint();
  for (let i = 0; i < n; i++) {
    if (authorizer.decide(editor, arnFor(i), facts) !== 'Allowed') throw new Error('unexpected decision');
  }
  const perEvaluation = msPer(n, started);
  if (authorizer.stats.misses !== n) throw new Error(`expected ${n} misses, got ${JSON.stringify(authorizer.stats)}`);
  return perEvaluation;
}

function cached(n: number): number {
  const authorizer = new Authorizer();
  authorizer.decide(editor, arnFor(0), facts);
  const started = process.hrtime.bigint();
  for (let i = 0; i < n; i++) {
    if (authorizer.decide(editor, arnFor(0), facts) !== 'Allowed') throw new Error('unexpected decision');
  }
  const perEvaluation = msPer(n, started);
  if (authorizer.stats.hits !== n) throw new Error(`expected ${n} hits, got ${JSON.stringify(authorizer.stats)}`);
  return perEvaluation;
}

/** Runs the benchmark (after a warm-up) and prints its results. */
export async function benchAuthorize(n = N): Promise<void> {
  await libraryValidated(50);
  uncached(200);
  cached(200);
  const library = await libraryValidated(n);
  const miss = uncached(n);
  const hit = cached(n);
  const fmt = (ms: number): string => `${ms.toFixed(4)} ms/evaluation (${Math.round(1000 / ms).toLocaleString('en-US')}/s)`;
  console.log(`authorize, N=${n}`);
  console.log(`  library runSimulation (async, validated): ${fmt(library)}`);
  console.log(`  Authorizer uncached (runUnsafeSimulation): ${fmt(miss)}`);
  console.log(`  Authorizer cached:                         ${fmt(hit)}`);
  console.log(`  uncached / cached: ${(miss / hit).toFixed(1)}x; runSimulation / cached: ${(library / hit).toFixed(1)}x`);
}

if (require.main === module) {
  benchAuthorize().catch((error: unknown) => {
    console.error(error instanceof Error ? error.message : error);
    process.exit(1);
  });
}
