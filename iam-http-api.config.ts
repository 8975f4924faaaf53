/**
 * The project's configuration. Every setting is optional; src/config/defaults.ts has the
 * defaults and src/config/types.ts documents each field. `npm run synth` checks it all and
 * names every bad field.
 */
import type { ProjectConfigInput } from './src/config/types';

const config: ProjectConfigInput = {
  name: 'iam-http-api',
  region: 'us-east-1',
  environments: {
    dev: {
      // The local browser page (npm start) and a Vite-style dev server.
      cors: { allowOrigins: ['http://127.0.0.1:5173', 'http://localhost:5173'] },
      lambda: { logRetentionDays: 7 },
      accessLogRetentionDays: 7,
      // The default users, plus one role invoker: admin may assume deployer for temporary
      // credentials that may only read (GET). Invokers replace the defaults as a whole.
      invokers: {
        admin: { allow: ['* /*'] },
        editor: { allow: ['GET /*', 'POST /*', 'PUT /*', 'PATCH /*'] },
        viewer: { allow: ['GET /*'] },
        deployer: { kind: 'role', allow: ['GET /*'], assumableBy: { invokers: ['admin'] }, maxSessionDurationSeconds: 3600 },
      },
    },
    prod: {
      cors: { allowOrigins: ['https://app.example.com'] },
      lambda: { logRetentionDays: 90 },
      accessLogRetentionDays: 365,
      // No one edits in prod by default: admin and viewer only.
      invokers: {
        admin: { allow: ['* /*'] },
        viewer: { allow: ['GET /*'] },
      },
    },
  },
};

export default config;
