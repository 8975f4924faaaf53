/**
 * The cdktf app: the configuration in iam-http-api.config.ts, validated, becomes one stack per
 * environment (`dev`, `prod`, …), each with its own state. See src/app/build-app.ts.
 */
import config from './iam-http-api.config';
import { buildApp } from './src/app/build-app';
import { ConfigError } from './src/config/resolve';

try {
  buildApp(config).synth();
} catch (error) {
  if (error instanceof ConfigError) {
    console.error(error.message);
    process.exit(1);
  }
  throw error;
}
