/**
 * `npx tsx bench/authorize.ts`: cost of one `execute-api:Invoke` decision, the project's own
 * evaluator against @cloud-copilot/iam-simulate (dev-only second opinion) in the same run.
 *
 *  - own, uncached: `Authorizer.decide` on N distinct ARNs, every one a cache miss (goal ≤ 50 µs)
 *  - own, cached:   `Authorizer.decide` N times on one ARN, all hits after the first (goal ≤ 3 µs)
 *  - library:       iam-simulate's `runUnsafeSimulation` (sync) and `runSimulation` (async, validated)
 * Two principals: the editor exactly as the stack synthesizes it, and a "rich" one with a
 * group Deny, a permissions boundary and a tag condition. Prints µs per decision and ratios.
 */
import { runSimulation, runUnsafeSimulation, type Simulation } from '@cloud-copilot/iam-simulate';
import { Authorizer, INVOKE_ACTION, type RequestFacts } from '../src/gateway/authorize';
import type { IamUserPrincipal, PolicyDocument } from '../src/iam/principal';

const N = 20_000;
const EXECUTION_ARN = 'arn:aws:execute-api:us-east-1:123456789012:abc123';

const editorPolicy: PolicyDocument = {
  Version: '2012-10-17',
  Statement: [{ Sid: 'InvokeAllowedRoutes', Effect: 'Allow', Action: 'execute-api:Invoke', Resource: ['GET', 'POST', 'PUT', 'PATCH'].map((m) => `${EXECUTION_ARN}/$default/${m}/*`) }],
};

const base = {
  type: 'User' as const,
  name: 'iam-http-api-dev-editor',
  path: '/iam-http-api/',
  arn: 'arn:aws:iam::123456789012:user/iam-http-api/iam-http-api-dev-editor',
  userId: 'AIDAEDITOR0000000000',
  accountId: '123456789012',
  groups: [],
};

const editor: IamUserPrincipal = { ...base, tags: {}, identityPolicies: [{ name: 'invoke-api', source: 'user inline', document: editorPolicy }] };

const rich: IamUserPrincipal = {
  ...base,
  tags: { Environment: 'dev', Project: 'iam-http-api', ManagedBy: 'cdktf' },
  groups: ['editors'],
  identityPolicies: [
    { name: 'invoke-api', source: 'user inline', document: editorPolicy },
    {
      name: 'no-delete', source: 'group inline', group: 'editors',
      document: { Version: '2012-10-17', Statement: [{ Effect: 'Deny', Action: 'execute-api:*', Resource: `${EXECUTION_ARN}/*/DELETE/*`, Condition: { StringNotEquals: { 'aws:PrincipalTag/Environment': 'prod' } } }] },
    },
  ],
  permissionsBoundary: {
    name: 'api-only', source: 'permissions boundary',
    document: { Version: '2012-10-17', Statement: [{ Effect: 'Allow', Action: 'execute-api:Invoke', Resource: 'arn:aws:execute-api:us-east-1:123456789012:*' }] },
  },
};

const facts: RequestFacts = { sourceIp: '127.0.0.1', now: new Date(), secureTransport: true, region: 'us-east-1', userAgent: 'bench' };
const arnFor = (i: number): string => `${EXECUTION_ARN}/$default/GET/items/${i}`;

function usPer(n: number, started: bigint): number {
  return Number(process.hrtime.bigint() - started) / 1e3 / n;
}

function simulation(i: number): Simulation {
  return {
    request: {
      principal: editor.arn,
      action: INVOKE_ACTION,
      resource: { resource: arnFor(i), accountId: editor.accountId },
      contextVariables: { 'aws:SourceIp': facts.sourceIp },
    },
    identityPolicies: [{ name: 'invoke-api', policy: editorPolicy }],
    serviceControlPolicies: [],
    resourceControlPolicies: [],
  };
}

async function libraryValidated(n: number): Promise<number> {
  const started = process.hrtime.bigint();
  for (let i = 0; i < n; i++) {
    const result = await runSimulation(simulation(i), {});
    if (result.resultType === 'error' || result.overallResult !== 'Allowed') throw new Error('unexpected library result');
  }
  return usPer(n, started);
}

function libraryUnsafe(n: number): number {
  const started = process.hrtime.bigint();
  for (let i = 0; i < n; i++) {
    if (runUnsafeSimulation(simulation(i), {}) !== 'Allowed') throw new Error('unexpected library result');
  }
  return usPer(n, started);
}

function uncached(principal: IamUserPrincipal, n: number): number {
  const authorizer = new Authorizer();
  const started = process.hrtime.bigint();
  for (let i = 0; i < n; i++) {
    if (authorizer.decide(principal, arnFor(i), facts).verdict !== 'Allowed') throw new Error('unexpected decision');
  }
  const us = usPer(n, started);
  if (authorizer.stats.misses !== n) throw new Error(`expected ${n} misses, got ${JSON.stringify(authorizer.stats)}`);
  return us;
}

function cached(principal: IamUserPrincipal, n: number): number {
  const authorizer = new Authorizer();
  authorizer.decide(principal, arnFor(0), facts);
  const started = process.hrtime.bigint();
  for (let i = 0; i < n; i++) {
    if (authorizer.decide(principal, arnFor(0), facts).verdict !== 'Allowed') throw new Error('unexpected decision');
  }
  const us = usPer(n, started);
  if (authorizer.stats.hits !== n) throw new Error(`expected ${n} hits, got ${JSON.stringify(authorizer.stats)}`);
  return us;
}

/** Runs the benchmark (after a warm-up) and prints its results. */
export async function benchAuthorize(n = N): Promise<void> {
  await libraryValidated(200);
  libraryUnsafe(500);
  uncached(editor, 2000);
  cached(editor, 2000);
  const library = await libraryValidated(Math.min(n, 5000));
  const unsafe = libraryUnsafe(n);
  const missEditor = uncached(editor, n);
  const missRich = uncached(rich, n);
  const hitEditor = cached(editor, n);
  const hitRich = cached(rich, n);
  const fmt = (us: number, goal?: number): string =>
    `${us.toFixed(2).padStart(7)} µs/decision${goal === undefined ? '' : `  (goal ≤ ${goal} µs: ${us <= goal ? 'met' : 'NOT MET'})`}`;
  console.log(`authorize, N=${n}`);
  console.log(`  own, uncached, editor (stack policy):        ${fmt(missEditor, 50)}`);
  console.log(`  own, uncached, group deny+boundary+tags:     ${fmt(missRich, 50)}`);
  console.log(`  own, cached, editor:                         ${fmt(hitEditor, 3)}`);
  console.log(`  own, cached, group deny+boundary+tags:       ${fmt(hitRich, 3)}`);
  console.log(`  iam-simulate runUnsafeSimulation, editor:    ${fmt(unsafe)}`);
  console.log(`  iam-simulate runSimulation (validated):      ${fmt(library)}`);
  console.log(`  library unsafe / own uncached: ${(unsafe / missEditor).toFixed(1)}x; own uncached / cached: ${(missEditor / hitEditor).toFixed(1)}x`);
}

if (require.main === module) {
  benchAuthorize().catch((error: unknown) => {
    console.error(error instanceof Error ? error.message : error);
    process.exit(1);
  });
}
