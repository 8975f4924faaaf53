/**
 * Defaults for every setting a user leaves out. Pure values and functions: nothing here
 * reads the environment or the file system.
 */
import type { EnvironmentSettings, InvokerSettings } from './types';

/** The origin the local browser page is served from by `npm start`. */
export const LOCAL_PAGE_ORIGIN = 'http://127.0.0.1:5173';

export const DEFAULT_NAME = 'iam-http-api';

/** Role-based access as in the seed: admin may call anything, editor may write, viewer may read. */
export function defaultInvokers(): Record<string, InvokerSettings> {
  return {
    admin: { allow: ['* /*'] },
    editor: { allow: ['GET /*', 'POST /*', 'PUT /*', 'PATCH /*'] },
    viewer: { allow: ['GET /*'] },
  };
}

export function defaultEnvironmentSettings(): EnvironmentSettings {
  return {
    region: 'us-east-1',
    lambda: {
      runtime: 'nodejs22.x',
      memoryMb: 128,
      timeoutSeconds: 10,
      architecture: 'arm64',
      logRetentionDays: 14,
      environment: {},
    },
    cors: { allowOrigins: [LOCAL_PAGE_ORIGIN] },
    throttling: { rateLimit: 50, burstLimit: 100 },
    routes: [],
    invokers: defaultInvokers(),
    accessLogRetentionDays: 14,
  };
}

/** Environments created when the configuration names none. */
export const DEFAULT_ENVIRONMENTS = ['dev', 'prod'] as const;

/** The CORS headers a SigV4-signing browser client needs to send. */
export const CORS_ALLOW_HEADERS = [
  'Authorization',
  'X-Amz-Date',
  'X-Amz-Security-Token',
  'X-Amz-Content-Sha256',
  'Content-Type',
  'X-Requested-With',
] as const;

/**
 * Response headers a browser page may read: API Gateway's request id and error type, so a
 * page can show which request failed and why.
 */
export const CORS_EXPOSE_HEADERS = ['apigw-requestid', 'x-amzn-ErrorType'] as const;

/** Browsers may cache a preflight answer this long (one day, in seconds). */
export const CORS_MAX_AGE_SECONDS = 86_400;

/** The stage every route is served from; API Gateway's auto-deployed default stage. */
/**
 * The unsigned routes browsers' CORS preflights use: they carry no signature, so they need no
 * auth. `/{proxy+}` does not match `/` (a greedy variable needs at least one segment), so the
 * API root gets its own route; without it a preflight to the bare API URL hits `$default`
 * (AWS_IAM) and is refused with 403, on AWS as locally.
 */
export const PREFLIGHT_ROUTES = ['OPTIONS /', 'OPTIONS /{proxy+}'] as const;

export const STAGE_NAME = '$default';
