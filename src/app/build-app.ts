/**
 * The cdktf app as a function: a configuration becomes one stack per environment, each with
 * its own state, synthesized into `outdir`. `main.ts` calls it with the project's config;
 * tests call it with variants (an invoker given one more route, say) to plan a change.
 */
import * as path from 'node:path';
import { App } from 'cdktf';
import { resolveConfig } from '../config/resolve';
import { chooseBackend, type BackendEnv } from '../stack/backend';
import { IamHttpApiStack } from '../stack/iam-http-api-stack';

export interface BuildAppOptions {
  /** cdktf's output folder; default cdktf's own choice (CDKTF_OUTDIR or `cdktf.out`). */
  readonly outdir?: string;
  /** Where backend variables (TF_CLOUD_ORGANIZATION, …) are read; default `process.env`. */
  readonly env?: BackendEnv;
  /** Folder the handler bundle is built in before it is copied into each stack. */
  readonly buildDir?: string;
}

/** Builds the app; throws ConfigError (every bad field named) for an invalid configuration. */
export function buildApp(config: unknown, options: BuildAppOptions = {}): App {
  const app = new App(options.outdir === undefined ? {} : { outdir: options.outdir });
  for (const stackConfig of resolveConfig(config)) {
    const id = stackConfig.environment;
    const stackDir = path.relative(process.cwd(), path.join(app.outdir, 'stacks', id));
    new IamHttpApiStack(app, id, {
      config: stackConfig,
      backend: chooseBackend(options.env ?? process.env, stackConfig.name, id, stackDir),
      buildDir: options.buildDir,
    });
  }
  return app;
}
