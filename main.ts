/**
 * The cdktf app: the configuration in iam-http-api.config.ts, validated, becomes one stack per
 * environment (`dev`, `prod`, …), each with its own state.
 */
import * as path from 'node:path';
import { App } from 'cdktf';
import config from './iam-http-api.config';
import { ConfigError, resolveConfig } from './src/config/resolve';
import { chooseBackend } from './src/stack/backend';
import { IamHttpApiStack } from './src/stack/iam-http-api-stack';

function main(): void {
  const app = new App();
  for (const stackConfig of resolveConfig(config)) {
    const id = stackConfig.environment;
    const stackDir = path.relative(process.cwd(), path.join(app.outdir, 'stacks', id));
    new IamHttpApiStack(app, id, {
      config: stackConfig,
      backend: chooseBackend(process.env, stackConfig.name, id, stackDir),
    });
  }
  app.synth();
}

try {
  main();
} catch (error) {
  if (error instanceof ConfigError) {
    console.error(error.message);
    process.exit(1);
  }
  throw error;
}
