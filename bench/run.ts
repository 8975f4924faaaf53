/** `npm run bench`: every benchmark of the project, printing ratios measured in this one run. */
import { benchAuthorize } from './authorize';
import { benchDevLoop } from './dev-loop';
import { benchGateway } from './gateway';
import { benchHandlerSize } from './handler-size';
import { benchMemory } from './memory';
import { benchSynth } from './synth';

async function main(): Promise<void> {
  benchHandlerSize();
  await benchAuthorize();
  await benchSynth();
  await benchDevLoop();
  await benchGateway();
  await benchMemory();
}

main().catch((error: unknown) => {
  console.error(error instanceof Error ? error.message : error);
  process.exit(1);
});
