/**
 * Differential property test: the project's evaluator (`decide` in src/iam/decide.ts) against an independent
 * reference evaluator written from AWS's documentation (__tests__/iam/reference/evaluate.ts, whose header
 * lists the pages it follows: "Policy evaluation logic", the policy grammar, the Version/Effect/Action/
 * NotAction/Resource/NotResource/Condition element pages, "Condition operators", "Policy variables",
 * multivalued context keys, permissions boundaries, session policies, global condition context keys).
 *
 * fast-check generates principals (IAM users with user/group/managed policies and tags, assumed-role sessions
 * with session policies, with or without a permissions boundary), policy documents (Allow/Deny, Action/
 * NotAction, Resource/NotResource built from the request ARN with segment wildcards, case variants, short
 * ARNs, policy variables under both Versions, conditions over aws:SourceIp, aws:CurrentTime, aws:EpochTime,
 * aws:UserAgent, aws:username, aws:userid, aws:PrincipalArn, aws:PrincipalTag/*, aws:PrincipalType,
 * aws:SecureTransport, aws:RequestedRegion, aws:MultiFactorAuthPresent with IfExists, ForAnyValue,
 * ForAllValues and Null, and documents IAM would reject) and requests (methods; paths with `*`, `?`,
 * `%2F`, unicode, spaces, colons, line terminators). Every disagreement fails the test; a fail-open one
 * (project Allowed, reference denied) is named as such.
 */
import fc from 'fast-check';
import { decide, type Verdict } from '../../src/iam/decide';
import { referenceDecide } from './reference/evaluate';
import { caseSpecArb, describeCase, renderCase } from './reference/generators';

const SEED = process.env.DIFF_SEED ? Number(process.env.DIFF_SEED) : 20261130;
const REQUESTS_PER_CASE = 4;
const RUNS = 5500; // 22,000 generated decisions
const MIN_SHARE = 0.1;

function kindOf(project: Verdict | 'threw', reference: Verdict): string {
  if (project === 'threw') return 'ERROR (the project evaluator threw)';
  if (project === 'Allowed') return 'FAIL-OPEN (project Allowed, reference denied)';
  if (reference === 'Allowed') return 'FAIL-CLOSED (project denied, reference Allowed)';
  return 'WRONG DENY KIND (explicit vs implicit)';
}

describe('decide agrees with the reference evaluator written from the AWS documentation', () => {
  it(`on ${RUNS * REQUESTS_PER_CASE} generated decisions (seed ${SEED})`, () => {
    const counts: Record<Verdict, number> = { Allowed: 0, ExplicitlyDenied: 0, ImplicitlyDenied: 0 };
    let decisions = 0;
    let ambiguous = 0;
    const property = fc.property(caseSpecArb({ libSafe: false }, REQUESTS_PER_CASE).map(renderCase), ({ principal, requests }) => {
      for (const request of requests) {
        const want = referenceDecide(principal, request);
        // The documentation leaves two things open (reference/evaluate.ts): whether colons inside the resource
        // part (after the fifth colon) are segment boundaries (arnMatches), and whether several session policies
        // are one set or each bounds the session (SessionPoliciesReading). Where the readings decide
        // differently, the decision is counted and skipped; there the project must take the stricter
        // reading: never Allowed where one reading denies, and one of the readings' verdicts.
        const readings = [
          want,
          referenceDecide(principal, request, 'every-colon'),
          referenceDecide(principal, request, 'six-parts', 'every'),
          referenceDecide(principal, request, 'every-colon', 'every'),
        ];
        if (readings.some((r) => r.verdict !== want.verdict)) {
          ambiguous++;
          const project = decide(principal, request).verdict;
          if (project === 'Allowed' && readings.some((r) => r.verdict !== 'Allowed')) {
            throw new Error(`FAIL-OPEN on an ambiguous reading: project Allowed, one reading of the documentation denies\n${describeCase(principal, request)}`);
          }
          if (!readings.some((r) => r.verdict === project)) {
            throw new Error(`project ${project}, which no reading of the documentation gives (${readings.map((r) => r.verdict).join(', ')})\n${describeCase(principal, request)}`);
          }
          continue;
        }
        let got: Verdict | 'threw';
        let thrown = '';
        try {
          got = decide(principal, request).verdict;
        } catch (error) {
          got = 'threw';
          thrown = error instanceof Error ? error.message : String(error);
        }
        if (got !== want.verdict) {
          throw new Error(
            `${kindOf(got, want.verdict)}: project ${got}${thrown ? ` (${thrown})` : ''}, reference ${want.verdict} (${want.why})\n` +
              describeCase(principal, request),
          );
        }
        counts[got]++;
        decisions++;
      }
    });
    const details = fc.check(property, { seed: SEED, numRuns: RUNS });
    if (details.failed) {
      // Report the shrunk counterexample's one disagreeing decision, not fast-check's dump of the whole case.
      const message = details.errorInstance instanceof Error ? details.errorInstance.message : String(details.errorInstance);
      throw new Error(`Disagreement after ${details.numRuns} runs (seed ${SEED}, path ${details.counterexamplePath}):\n${message}`);
    }
    const shares = Object.fromEntries(Object.entries(counts).map(([k, n]) => [k, `${((100 * n) / decisions).toFixed(1)}%`]));
    console.log(`differential: ${decisions} decisions, verdict shares ${JSON.stringify(shares)}; ${ambiguous} ambiguous skipped`);
    expect(decisions).toBeGreaterThanOrEqual(20_000);
    expect(ambiguous).toBeLessThan(decisions / 50);
    for (const verdict of Object.keys(counts) as Verdict[]) expect(counts[verdict] / decisions).toBeGreaterThanOrEqual(MIN_SHARE);
  });
});
