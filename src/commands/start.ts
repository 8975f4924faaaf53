/**
 * `npm start`: synthesizes the stacks when sources changed, then tells what was built for the
 * selected stack (`STACK=`, default `dev`) and how to deploy it. Prints no secret.
 */
import * as path from 'node:path';
import { describeStack } from './describe-stack';
import { stackJsonPath, synthIfStale } from './synth-if-stale';

// Piped into head or less: stop quietly when the reader goes away.
process.stdout.on('error', (error: NodeJS.ErrnoException) => process.exit(error.code === 'EPIPE' ? 0 : 1));

const root = path.resolve(__dirname, '..', '..');
const stack = process.env.STACK || 'dev';

const state = synthIfStale(root, stack);
const jsonPath = stackJsonPath(root, stack);
let summary;
try {
  summary = describeStack(jsonPath);
} catch {
  console.error(`No synthesized stack "${stack}" at ${path.relative(root, jsonPath)}. Stacks come from the environments in iam-http-api.config.ts; pick one with STACK=<name>.`);
  process.exit(1);
}

const lines = [
  `Stack "${stack}" (${state}): ${path.relative(root, jsonPath)}`,
  `  ${summary.resourceCount} resources in ${summary.region}; ${summary.backend}`,
  `  HTTP API ${summary.apiName}, CORS origins: ${summary.corsOrigins.join(', ')}`,
  '  Routes:',
  ...summary.routes.map((r) => `    ${r.routeKey.padEnd(24)} ${r.authorizationType === 'AWS_IAM' ? 'AWS_IAM (SigV4 signature required)' : 'NONE (CORS preflight)'}`),
  '  Invokers (IAM users) and what they may invoke (<api execution ARN>/...):',
  ...summary.invokers.map((i) => `    ${i.user.padEnd(28)} ${i.allow.join('  ')}`),
  '',
  'Deploy with AWS credentials in your environment:',
  `  npx cdktf deploy ${stack}          # or: npx cdktf diff ${stack} to review first`,
  `  cd cdktf.out/stacks/${stack} && terraform output api_url`,
  `  terraform output -raw invoker_viewer_secret_access_key   # secrets only on request`,
];
console.log(lines.join('\n'));
