/**
 * The local gateway: an HTTP server on 127.0.0.1 that runs the synthesized API. Each request
 * goes through the pipeline parse → route → verify SigV4 → authorize → event → invoke →
 * response, each stage in its own module; every failure is a GatewayError from errors.ts,
 * and one place (here) turns anything else into a logged 500.
 */
import { randomBytes, randomUUID } from 'node:crypto';
import * as http from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Principal } from '../iam/principal';
import { formatAccessLog, type IntegrationFacts } from './access-log';
import { Authorizer, type Decision } from './authorize';
import { isPreflight, preflightHeaders, withCorsHeaders } from './cors';
import type { InvokerKey } from './credentials';
import { errors, GatewayError } from './errors';
import { buildEvent } from './event';
import { INTEGRATION_TIMEOUT_MS, LambdaInvoker, type InspectAddress } from './invoke';
import { InvokePermissions, missingPermissionWarning, NO_INVOKE_PERMISSION } from './invoke-permission';
import type { InvokerDefinition, LoadedStack } from './load-stack';
import { MalformedResponse, toHttpResponse, type HttpResponse } from './response';
import { Router } from './route';
import { randomChunk } from './random-pool';
import { checkRequestPath } from './request-path';
import { accountIdentities } from './account-identities';
import { answerInFlight, refusedHead } from './client-errors';
import { FOREIGN_SESSION_HINT, SessionCallers } from './session-callers';
import type { SessionClaims } from './session-tokens';
import { verifySignature } from './verify-signature';

/** API Gateway's payload quota for HTTP APIs. */
export const MAX_BODY_BYTES = 10 * 1024 * 1024;
/** API Gateway's quota on the request line and headers of an HTTP API request. */
export const MAX_HEADER_BYTES = 10_240;
/** Connections served at once; more wait in the kernel's backlog or are refused. */
export const DEFAULT_MAX_CONNECTIONS = 512;
/** How long a whole request (headers and body) may take to arrive; the function's time is not counted. */
export const REQUEST_TIMEOUT_MS = 30_000;
/** How long a request's headers may take to arrive. */
const HEADERS_TIMEOUT_MS = 10_000;
/** How long a refused upload may keep its connection after the answer, before it is cut. */
const CLOSE_GRACE_MS = 1_000;

export interface GatewayOptions {
  readonly stack: LoadedStack;
  /** Invoker name → its local key. */
  readonly keys: ReadonlyMap<string, InvokerKey>;
  readonly port?: number;
  /** The clock; tests inject one. */
  readonly now?: () => Date;
  /**
   * The gateway's log: per request, the access-log line in the stage's synthesized format (what
   * CloudWatch gets, access-log.ts) and, when there is more to say, a JSON line of the gateway's
   * own (GatewayNote: why IAM denied, a handler's error...); default: none.
   */
  readonly log?: (line: string) => void;
  /** The function's log, one line at a time, as Lambda writes it (invoke.ts); default: stdout. */
  readonly functionLog?: (line: string) => void;
  /** Lambda execution environments (child processes); default $IAM_HTTP_API_WORKERS, else os.availableParallelism(). */
  readonly workers?: number;
  /** API Gateway's integration timeout (default INTEGRATION_TIMEOUT_MS, 30 s); tests shorten it. */
  readonly integrationTimeoutMs?: number;
  /** Debugging: the Lambda processes open Node's inspector here, and no timeout stops them (InvokerOptions.inspect). */
  readonly inspect?: InspectAddress;
  /** Bound on concurrent connections (default 512). */
  readonly maxConnections?: number;
  /** REQUEST_TIMEOUT_MS unless given (tests shorten it); the headers' timeout is at most this. */
  readonly requestTimeoutMs?: number;
  /** Called with each request IAM denies and why (the CLI's 403 explanations). */
  readonly onDenied?: (denial: Denial) => void;
  /** The key session tokens are sealed with (session-tokens.ts); without it, `ASIA…` keys are refused. */
  readonly sessionKey?: Buffer;
  /**
   * Keys of the other accounts' local identities (account-identities.ts), by profile name, for
   * the profiles asked (those `keys` lacks); called whenever a stack is served, so an account a
   * reloaded stack newly trusts gets its key. Without it, only `keys` is searched.
   */
  readonly accountKeys?: (profiles: readonly string[]) => ReadonlyMap<string, InvokerKey>;
}

/** A request the caller's policies did not allow, explained. */
export interface Denial {
  readonly requestId: string;
  readonly invoker: string;
  readonly accessKeyId: string;
  readonly method: string;
  readonly path: string;
  readonly resourceArn: string;
  readonly verdict: Decision['verdict'];
  readonly explanation: string;
}

/**
 * An access-log line parsed, for the stack's JSON format (src/stack/http-api.ts ACCESS_LOG_FORMAT):
 * its keys, each value a string as API Gateway writes it (`"status":"200"`, `-` when missing).
 */
export type AccessLogEntry = Readonly<Record<string, string>>;

/** The gateway's own line about a request, besides the access log, when it has more to say. */
export interface GatewayNote {
  readonly requestId: string;
  /** The response's x-amzn-ErrorType. */
  readonly errorType?: string;
  /** For a request IAM denied: the invoker, and why (the deciding statement or the nearest miss). */
  readonly authorization?: string;
  /** Where a refused credential likely came from, when the log can tell (a foreign session token). */
  readonly hint?: string;
}

/** The port asked for is taken; the message says what to do. */
export class PortInUseError extends Error {
  constructor(port: number) {
    super(`Port ${port} on 127.0.0.1 is already in use. Stop the program using it, or start on another port: PORT=${port + 1} npm start`);
    this.name = 'PortInUseError';
  }
}

interface Caller {
  /** The invoker's profile name, or `assumed-role/<role>/<session>` for a session. */
  readonly name: string;
  readonly principal: Principal;
  readonly accessKeyId: string;
}

/**
 * Everything a request reads from the stack, built in full before update() swaps it in with
 * one assignment: a request keeps the one it started with, from routing to its access-log line.
 */
interface Served {
  readonly stack: LoadedStack;
  readonly router: Router;
  readonly permissions: InvokePermissions;
  readonly byAccessKey: ReadonlyMap<string, { invoker: InvokerDefinition; key: InvokerKey }>;
  /** Sessions of the stack's roles and users, when the gateway has a session key. */
  readonly sessions?: SessionCallers;
}

/** The options servedOf reads. */
type ServedOptions = Pick<GatewayOptions, 'sessionKey' | 'accountKeys' | 'log'>;

export class LocalGateway {
  private readonly server: http.Server;
  private readonly authorizer: Authorizer;
  private readonly invoker: LambdaInvoker;
  private served: Served;
  private readonly now: () => Date;

  constructor(private readonly options: GatewayOptions) {
    const { stack } = options;
    this.now = options.now ?? (() => new Date());
    this.served = servedOf(stack, options.keys, options);
    this.authorizer = new Authorizer({
      onInvalidPolicies: (principal, problems) => {
        const invoker = this.served.stack.invokers.find((i) => i.principal === principal)?.name ?? principal.arn;
        options.log?.(JSON.stringify({ warning: `invoker ${invoker}: IAM would reject these policies, so they grant nothing here`, problems }));
      },
    });
    this.invoker = new LambdaInvoker(stack.integration, { workers: options.workers, integrationTimeoutMs: options.integrationTimeoutMs, functionLog: options.functionLog, inspect: options.inspect });
    const noPermission = missingPermissionWarning(stack);
    if (noPermission) options.log?.(JSON.stringify({ warning: noPermission }));
    // API Gateway's quota for HTTP APIs: "Total combined size of request line and header values:
    // 10240 bytes" (Amazon API Gateway quotas, HTTP API quotas); Node answers past it with 431.
    // Slow clients (slowloris, idle connections that never send a request, a body that trickles
    // in) would hold connections up to maxConnections for Node's defaults (60 s for headers, 300 s
    // for the request): the request must arrive within requestTimeoutMs, its headers within
    // HEADERS_TIMEOUT_MS, checked every second; past that, 408 and the connection is closed. The
    // function's own time is not counted: it starts once the request has arrived.
    const requestTimeout = options.requestTimeoutMs ?? REQUEST_TIMEOUT_MS;
    this.server = http.createServer({
      maxHeaderSize: MAX_HEADER_BYTES,
      requestTimeout,
      headersTimeout: Math.min(HEADERS_TIMEOUT_MS, requestTimeout),
      connectionsCheckingInterval: 1_000,
    }, (req, res) => {
      this.handle(req, res).catch((error: unknown) => this.lastResort(req, res, error));
    });
    this.server.maxConnections = options.maxConnections ?? DEFAULT_MAX_CONNECTIONS;
    this.server.keepAliveTimeout = 5_000;
    this.server.on('clientError', (error: NodeJS.ErrnoException, socket) => answerUnparsable(error, socket));
  }

  /** Listens on 127.0.0.1; rejects with a clear message when the port is taken. */
  listen(): Promise<string> {
    const port = this.options.port ?? 3000;
    return new Promise((resolve, reject) => {
      const onError = (error: NodeJS.ErrnoException): void => {
        reject(error.code === 'EADDRINUSE' ? new PortInUseError(port) : error);
      };
      this.server.once('error', onError);
      this.server.listen(port, '127.0.0.1', () => {
        this.server.off('error', onError);
        resolve(this.url);
      });
    });
  }

  get url(): string {
    const address = this.server.address() as AddressInfo | null;
    return `http://127.0.0.1:${address?.port ?? this.options.port ?? 3000}`;
  }

  /** The stack being served (the latest one update() swapped in). */
  get stack(): LoadedStack {
    return this.served.stack;
  }

  /**
   * Serves `stack` from now on (watch mode, after a re-synthesis): its routes, CORS, Lambda
   * permissions and invokers (each with its key from `keys`; an invoker without one, or one no
   * longer in the stack, is refused as AWS refuses a deleted user's key) are swapped in at once,
   * built in full first, so a request sees either the old stack or the new one, never a mix.
   * Requests in flight finish with the stack they started with. The port stays. When the
   * Lambda integration changed, or with `reloadFunction` (its bundle file was replaced in
   * place), the invoker's processes are replaced (LambdaInvoker.reload).
   */
  update(stack: LoadedStack, keys: ReadonlyMap<string, InvokerKey>, options: { readonly reloadFunction?: boolean } = {}): void {
    const next = servedOf(stack, keys, this.options);
    const integrationChanged = JSON.stringify(stack.integration) !== JSON.stringify(this.served.stack.integration);
    this.served = next;
    if (integrationChanged || options.reloadFunction) this.invoker.reload(stack.integration);
    const noPermission = missingPermissionWarning(stack);
    if (noPermission) this.options.log?.(JSON.stringify({ warning: noPermission }));
  }

  /**
   * Who signs with `accessKeyId` (and `sessionToken`), as the gateway would authenticate it: an
   * invoker's long-term key, another account's local identity (account-identities.ts), or a
   * session the local STS issued, of a role or a user (the STS, sts-server.ts, verifies its
   * callers with this; `claims` are the session's, for role chaining). Throws
   * errors.expiredToken() for an expired session.
   */
  callerOf(accessKeyId: string, sessionToken: string | undefined, now: Date): { readonly principal: Principal; readonly secretAccessKey: string; readonly sessionToken?: string; readonly claims?: SessionClaims } | undefined {
    const served = this.served;
    const entry = served.byAccessKey.get(accessKeyId);
    if (entry) return { principal: entry.invoker.principal, secretAccessKey: entry.key.secretAccessKey };
    const session = served.sessions?.resolve(accessKeyId, sessionToken, now);
    return session && { principal: session.principal, secretAccessKey: session.secretAccessKey, sessionToken, claims: session.claims };
  }

  /**
   * The bundle file was replaced in place (watch mode, after the handler was rebuilt): new
   * invocations run it, those in flight finish on what their process loaded (LambdaInvoker.reload).
   */
  reloadFunction(): void {
    this.invoker.reload(this.served.stack.integration);
  }

  /** Authorization decisions answered from the cache, for the benchmark. */
  get authorizerStats(): { hits: number; misses: number } {
    return { ...this.authorizer.stats };
  }

  /**
   * Stops gracefully: accepts no new connections, closes idle keep-alive connections at once
   * (and each one that goes idle after its response), lets requests in flight finish, then ends
   * the Lambda processes. In-flight requests are bounded by the integration timeout (their
   * invocations are answered 503 by then); a connection still open a second after that is cut.
   */
  async close(): Promise<void> {
    const closed = new Promise<void>((resolve) => this.server.close(() => resolve()));
    this.server.closeIdleConnections();
    // Node keeps a keep-alive connection open after its last response until keepAliveTimeout.
    const sweep = setInterval(() => this.server.closeIdleConnections(), 50);
    const cut = setTimeout(() => this.server.closeAllConnections(), (this.options.integrationTimeoutMs ?? INTEGRATION_TIMEOUT_MS) + 1_000);
    try {
      await closed;
    } finally {
      clearInterval(sweep);
      clearTimeout(cut);
    }
    await this.invoker.close();
  }

  private async handle(req: http.IncomingMessage, res: http.ServerResponse): Promise<void> {
    const started = performance.now();
    const requestTime = this.now();
    const requestId = randomChunk(12).toString('base64');
    const served = this.served;
    const method = (req.method ?? 'GET').toUpperCase();
    const url = req.url ?? '/';
    const q = url.indexOf('?');
    const rawPath = q < 0 ? url : url.slice(0, q);
    const rawQuery = q < 0 ? '' : url.slice(q + 1);
    const origin = header(req, 'origin');
    const preflight = isPreflight(method, { origin, 'access-control-request-method': header(req, 'access-control-request-method') });
    let routeKey = '-';
    let caller: Caller | undefined;
    let denial: string | undefined;
    /** What the Lambda integration did, once called. */
    const trace: { facts?: IntegrationFacts } = {};
    let gatewayError: GatewayError | undefined;
    /** Set when the answer comes before the body was read: the connection is then closed. */
    let bodyUnread = true;
    let response: HttpResponse;
    try {
      const path = checkRequestPath(rawPath);
      if (!path.ok) {
        this.options.log?.(JSON.stringify({ requestId, refused: `${method} ${rawPath.slice(0, 200)}: ${path.reason}` }));
        throw errors.badRequest();
      }
      const matched = served.router.match(method, path.decoded);
      const cors = served.stack.cors;
      if (!matched && cors && preflight) {
        response = { status: 204, headers: {}, body: Buffer.alloc(0) };
      } else {
        if (!matched) throw errors.notFound();
        routeKey = matched.route.routeKey;
        const iam = matched.route.authorizationType === 'AWS_IAM';
        // Unsigned requests to an AWS_IAM route are refused before their body is read, so an
        // unauthenticated client cannot make the gateway buffer 10 MB per connection.
        if (Number(req.headers['content-length'] ?? 0) > MAX_BODY_BYTES) throw errors.payloadTooLarge();
        if (iam && !looksSigned(req, rawQuery)) throw errors.missingAuthentication();
        const body = await readBody(req);
        bodyUnread = false;
        if (iam) {
          caller = await this.authenticate(served, req, method, rawPath, rawQuery, body);
          denial = this.authorize(served, caller, method, rawPath, path.decoded, req, requestId);
          if (denial !== undefined) throw errors.accessDenied();
        }
        response = await this.invoke(served, req, { method, rawPath: path.decoded, rawQuery, body, routeKey, pathParameters: matched.pathParameters, requestId, caller, trace });
      }
    } catch (error) {
      gatewayError = error instanceof GatewayError ? error : unexpected(error, requestId);
      const r = gatewayError.getResponse();
      response = { status: r.status, headers: r.headers, body: Buffer.from(r.body) };
    }
    const expectsBody = req.headers['transfer-encoding'] !== undefined || Number(req.headers['content-length'] ?? 0) > 0;
    this.send(served, req, res, response, { origin, preflight, requestId, close: bodyUnread && expectsBody && !req.complete });
    this.logAccess(served, req, { requestId, requestTime, started, method, rawPath, routeKey, response, caller, gatewayError, integration: trace.facts });
    const errorType = response.headers['x-amzn-errortype'] as string | undefined;
    if (errorType !== undefined || denial !== undefined) {
      const foreignSession = errorType === 'UnrecognizedClientException' && (req.headers['x-amz-security-token'] !== undefined || /(?:^|&)X-Amz-Security-Token=/i.test(rawQuery));
      this.options.log?.(JSON.stringify({ requestId, errorType, authorization: denial, ...(foreignSession ? { hint: FOREIGN_SESSION_HINT } : {}) } satisfies GatewayNote));
    }
  }

  /**
   * The request's line in the stage's access-log format (access-log.ts), when the stage has one.
   * invoke() records what the function did (its statusCode, or why its response was refused).
   */
  private logAccess(
    served: Served,
    req: http.IncomingMessage,
    r: {
      requestId: string; requestTime: Date; started: number; method: string; rawPath: string; routeKey: string; response: HttpResponse;
      caller?: Caller; gatewayError?: GatewayError; integration?: IntegrationFacts;
    },
  ): void {
    const { stack } = served;
    if (!this.options.log || stack.accessLogFormat === undefined) return;
    const integration = r.integration;
    const principal = r.caller?.principal;
    this.options.log(formatAccessLog(stack.accessLogFormat, {
      requestId: r.requestId,
      accountId: stack.accountId,
      apiId: stack.apiId,
      stage: stack.stage,
      domainName: header(req, 'host'),
      httpMethod: r.method,
      path: r.rawPath,
      protocol: `HTTP/${req.httpVersion}`,
      requestTime: r.requestTime,
      routeKey: r.routeKey,
      status: r.response.status,
      responseLength: r.response.body.length,
      responseLatencyMs: performance.now() - r.started,
      sourceIp: sourceIp(req),
      userAgent: header(req, 'user-agent'),
      caller: principal && { userArn: principal.arn, userId: principal.userId, accountId: stack.accountId },
      errorMessage: r.gatewayError?.message,
      integration,
    }));
  }

  /** Anything that escaped the pipeline: a logged 500 if the response can still be sent, else a cut connection. */
  private lastResort(req: http.IncomingMessage, res: http.ServerResponse, error: unknown): void {
    const requestId = randomChunk(12).toString('base64');
    console.error(`[${requestId}] local gateway error:`, error);
    try {
      if (!res.headersSent) {
        const { status, headers, body } = errors.internal().getResponse();
        res.writeHead(status, { ...headers, 'apigw-requestid': requestId, 'content-length': Buffer.byteLength(body), connection: 'close' });
        res.end(body);
      } else {
        res.destroy();
      }
    } catch {
      req.socket.destroy();
    }
  }

  private async authenticate(served: Served, req: http.IncomingMessage, method: string, rawPath: string, rawQuery: string, body: Buffer): Promise<Caller> {
    let session: ReturnType<SessionCallers['resolve']>;
    const verified = await verifySignature(
      { method, rawPath, rawQuery, rawHeaders: req.rawHeaders, body },
      {
        region: served.stack.region,
        service: 'execute-api',
        now: this.now(),
        lookupCredentials: (accessKeyId: string, sessionToken: string | undefined) => {
          const entry = served.byAccessKey.get(accessKeyId);
          if (entry) return { secretAccessKey: entry.key.secretAccessKey };
          session = served.sessions?.resolve(accessKeyId, sessionToken, this.now());
          return session && { secretAccessKey: session.secretAccessKey, sessionToken };
        },
      },
    );
    if (!verified) throw errors.missingAuthentication();
    if (session) return { name: session.name, principal: session.principal, accessKeyId: verified.accessKeyId };
    const entry = served.byAccessKey.get(verified.accessKeyId);
    if (!entry) throw errors.unknownAccessKey();
    return { name: entry.invoker.name, principal: entry.invoker.principal, accessKeyId: verified.accessKeyId };
  }

  /**
   * IAM's decision for the caller, or, when it is denied, the log line saying why. The ARN's
   * path is the request path as sent and as decoded; AWS does not document which form IAM
   * sees, so both must be allowed (they differ only for percent-encoded characters).
   */
  private authorize(served: Served, caller: Caller, method: string, rawPath: string, decodedPath: string, req: http.IncomingMessage, requestId: string): string | undefined {
    const { stack } = served;
    const prefix = `${stack.executionArn}/${stack.stage}/${method}/`;
    const facts = {
      sourceIp: sourceIp(req),
      now: this.now(),
      secureTransport: true,
      userAgent: header(req, 'user-agent'),
      region: stack.region,
      resourceAccount: stack.accountId,
    };
    const principal: Principal = caller.principal;
    // A trailing slash is routed as if absent (route.ts); whether IAM sees it in the ARN is not
    // documented either, so both forms must be allowed.
    const forms = new Set([rawPath, decodedPath]);
    for (const form of [...forms]) if (form.length > 1 && form.endsWith('/')) forms.add(form.slice(0, -1));
    const arns = [...forms].map((form) => prefix + form.slice(1));
    for (const arn of arns) {
      const decision = this.authorizer.decide(principal, arn, facts);
      if (decision.verdict === 'Allowed') continue;
      this.options.onDenied?.({
        requestId, invoker: caller.name, accessKeyId: caller.accessKeyId, method, path: rawPath,
        resourceArn: arn, verdict: decision.verdict, explanation: decision.explanation,
      });
      return `${caller.name}: ${decision.explanation}`;
    }
    return undefined;
  }

  private async invoke(
    served: Served,
    req: http.IncomingMessage,
    request: {
      method: string; rawPath: string; rawQuery: string; body: Buffer; routeKey: string; pathParameters: Readonly<Record<string, string>>; requestId: string; caller?: Caller;
      /** Filled with what the invocation did, for the access log. */
      trace: { facts?: IntegrationFacts };
    },
  ): Promise<HttpResponse> {
    const { stack } = served;
    // Lambda's resource-based policy must let API Gateway invoke the function from this route (invoke-permission.ts).
    const refused = served.permissions.refusal(request.routeKey, request.method);
    if (refused !== undefined) {
      this.options.log?.(JSON.stringify({ requestId: request.requestId, integrationError: NO_INVOKE_PERMISSION, lambdaPermission: refused }));
      throw errors.internal();
    }
    const time = this.now();
    // Explicit properties, not `...request`: the spread cost ~19 us per request here (V8 slow
    // path) and left an object whose reads slowed buildEvent down by ~8 us more.
    const event = buildEvent({
      method: request.method,
      rawPath: request.rawPath,
      rawQuery: request.rawQuery,
      body: request.body,
      routeKey: request.routeKey,
      pathParameters: request.pathParameters,
      requestId: request.requestId,
      rawHeaders: req.rawHeaders,
      sourceIp: sourceIp(req),
      protocol: `HTTP/${req.httpVersion}`,
      time,
      apiId: stack.apiId,
      accountId: stack.accountId,
      stage: stack.stage,
      caller: request.caller && {
        accessKey: request.caller.accessKeyId,
        accountId: stack.accountId,
        userArn: request.caller.principal.arn,
        userId: request.caller.principal.userId,
      },
    });
    const fn = stack.integration;
    const awsRequestId = randomUUID();
    const invokedAt = performance.now();
    const outcome = await this.invoker.invoke(event, {
      functionName: fn.functionName,
      functionVersion: '$LATEST',
      invokedFunctionArn: `arn:aws:lambda:${stack.region}:${stack.accountId}:function:${fn.functionName}`,
      memoryLimitInMB: String(fn.memoryMb),
      awsRequestId,
      logGroupName: `/aws/lambda/${fn.functionName}`,
      // The execution environment's stream: the invoker puts in the one its process has.
      logStreamName: `local/[$LATEST]${request.requestId}`,
    });
    const facts: IntegrationFacts = { awsRequestId, latencyMs: performance.now() - invokedAt, outcome };
    request.trace.facts = facts;
    switch (outcome.kind) {
      case 'result': {
        const response = toHttpResponse(outcome.payload);
        if (response instanceof MalformedResponse) {
          request.trace.facts = { ...facts, malformed: response.reason };
          this.options.log?.(JSON.stringify({ requestId: request.requestId, malformedLambdaResponse: response.reason }));
          throw errors.internal();
        }
        request.trace.facts = { ...facts, functionStatus: response.status };
        return response;
      }
      // The function's own timeout is a function error like any other: HTTP APIs answer 500
      // ("Lambda timeouts get converted to 500 Internal Errors in API Gateway ... the same
      // behavior ... with API Gateways HTTP API", https://github.com/denoland/deno_registry2/issues/87); only the
      // integration timeout gives 503 (below). The log line is Lambda's.
      case 'timeout':
        this.options.log?.(JSON.stringify({ requestId: request.requestId, handlerTimeout: `Task timed out after ${outcome.timeoutSeconds.toFixed(2)} seconds` }));
        throw errors.internal();
      // A function error, including Function.ResponseSizeTooLarge: "My API with a Lambda
      // integration returns {"message":"Internal Server Error"}" (AWS, Troubleshooting issues with
      // HTTP API Lambda integrations, https://docs.aws.amazon.com/apigateway/latest/developerguide/http-api-troubleshooting-lambda.html).
      // (REST APIs answer 502 here: https://github.com/DataBiosphere/azul/issues/8258.)
      case 'error':
        this.options.log?.(JSON.stringify({ requestId: request.requestId, handlerError: outcome.errorType, message: outcome.errorMessage }));
        throw errors.internal();
      case 'crash':
        this.options.log?.(JSON.stringify({ requestId: request.requestId, handlerCrash: outcome.message }));
        throw errors.internal();
      // Lambda refused the Invoke call (RequestEntityTooLargeException for an event of 6 MB or
      // more, TooManyRequestsException when throttled): API Gateway's 500. AWS's knowledge center
      // says a throttled backend can make API Gateway return "Internal server error"
      // (https://repost.aws/knowledge-center/api-gateway-internal-server-error, written for REST
      // APIs). Its answer to a too-large event is not documented: 500 as for any failed
      // invocation rather than 413, since the request was within API Gateway's own 10 MB quota.
      case 'rejected':
        this.options.log?.(JSON.stringify({ requestId: request.requestId, invokeError: outcome.errorType, message: outcome.errorMessage }));
        throw errors.internal();
      // API Gateway's integration timeout ("Maximum integration timeout: 30 seconds", HTTP API
      // quotas, https://docs.aws.amazon.com/apigateway/latest/developerguide/http-api-quotas.html)
      // gives 503: "the API gateway timeout ... must be greater than the lambda timeout to avoid
      // getting a 503" (https://github.com/serverless/serverless/issues/11222).
      case 'integration-timeout':
        this.options.log?.(JSON.stringify({
          requestId: request.requestId,
          integrationTimeout: `no answer from the Lambda integration within ${outcome.afterMs} ms (${outcome.queued ? 'still waiting for a free Lambda worker' : 'the function was still running; it was stopped'})`,
        }));
        throw errors.integrationTimeout();
    }
  }

  /**
   * Writes the response with the configured CORS headers: a preflight gets the full preflight
   * set whichever route answered it, any other response the actual-request set. A header Node
   * refuses (the handler's headers are validated in response.ts, so this is a last line) turns
   * the answer into a 500. With `close`, the request's unread body is not drained: the
   * connection is closed after the answer.
   */
  private send(
    served: Served,
    req: http.IncomingMessage,
    res: http.ServerResponse,
    response: HttpResponse,
    context: { readonly origin: string | undefined; readonly preflight: boolean; readonly requestId: string; readonly close: boolean },
  ): void {
    if (res.headersSent || res.destroyed) return;
    const cors = served.stack.cors;
    const headers = !cors
      ? { ...response.headers }
      : context.preflight
        ? { ...withCorsHeaders(cors, undefined, response.headers), ...preflightHeaders(cors, context.origin) }
        : withCorsHeaders(cors, context.origin, response.headers);
    if (context.close) closeWithoutReading(req, res);
    try {
      res.statusCode = response.status;
      for (const [name, value] of Object.entries(headers)) res.setHeader(name, value as string | string[]);
      res.setHeader('apigw-requestid', context.requestId);
      res.setHeader('content-length', response.body.length);
    } catch (error) {
      this.options.log?.(JSON.stringify({ requestId: context.requestId, unsendableResponse: (error as Error).message }));
      for (const name of res.getHeaderNames()) res.removeHeader(name);
      const fallback = errors.internal().getResponse();
      res.statusCode = fallback.status;
      const fallbackHeaders = cors ? withCorsHeaders(cors, context.origin, fallback.headers) : fallback.headers;
      for (const [name, value] of Object.entries(fallbackHeaders)) res.setHeader(name, value as string | string[]);
      res.setHeader('apigw-requestid', context.requestId);
      res.setHeader('content-length', Buffer.byteLength(fallback.body));
      res.end(fallback.body);
      return;
    }
    res.end(response.body);
  }
}

/**
 * The pieces update() swaps in, built from `stack`: an invoker without a key in `keys` has no way
 * in. The other accounts' identities are callers too (their profile names cannot be an invoker's:
 * `account-<12 digits>`), with keys from `keys` or options.accountKeys.
 */
function servedOf(stack: LoadedStack, keys: ReadonlyMap<string, InvokerKey>, options: ServedOptions): Served {
  const byAccessKey = new Map<string, { invoker: InvokerDefinition; key: InvokerKey }>();
  const accounts = accountIdentities(stack.roles ?? [], stack.accountId);
  const missing = accounts.map((a) => a.name).filter((name) => !keys.has(name));
  let accountKeys: ReadonlyMap<string, InvokerKey> = new Map();
  if (missing.length > 0 && options.accountKeys) {
    try {
      accountKeys = options.accountKeys(missing);
    } catch (error) {
      // The credentials file could not take them: those accounts have no way in, the rest serves.
      options.log?.(JSON.stringify({ warning: `no keys for ${missing.join(', ')}: ${error instanceof Error ? error.message : String(error)}` }));
    }
  }
  for (const invoker of [...stack.invokers, ...accounts]) {
    const key = keys.get(invoker.name) ?? accountKeys.get(invoker.name);
    if (key) byAccessKey.set(key.accessKeyId, { invoker, key });
  }
  const sessions = options.sessionKey && new SessionCallers(options.sessionKey, stack.roles ?? [], [...stack.invokers, ...accounts]);
  return { stack, router: new Router(stack.routes), permissions: new InvokePermissions(stack), byAccessKey, ...(sessions ? { sessions } : {}) };
}

/**
 * Ends a connection whose request body was not read, without reading it: the answer goes out,
 * the socket stops reading (the client's upload stalls on TCP flow control) and is half-closed,
 * and it is destroyed after a grace period. Node would otherwise either drain the body after the
 * answer (keep-alive: unbounded work for the gateway) or close the socket at once, and a close
 * with unread data sends a TCP reset that can make the client lose the answer.
 */
export function closeWithoutReading(req: http.IncomingMessage, res: http.ServerResponse): void {
  const socket = req.socket;
  res.shouldKeepAlive = false;
  req.pause();
  socket.destroySoon = function lingeringClose(this: typeof socket): void {
    this.pause();
    this.end();
    setTimeout(() => this.destroy(), CLOSE_GRACE_MS).unref();
  };
  res.once('finish', () => socket.pause());
}

/** An `Authorization` header or an `X-Amz-Signature` query parameter: worth reading the body for. */
function looksSigned(req: http.IncomingMessage, rawQuery: string): boolean {
  return req.headers.authorization !== undefined || /(?:^|&)X-Amz-Signature=/i.test(rawQuery);
}

function header(req: http.IncomingMessage, name: string): string | undefined {
  const value = req.headers[name];
  return Array.isArray(value) ? value.join(',') : value;
}

function sourceIp(req: http.IncomingMessage): string {
  return (req.socket.remoteAddress ?? '127.0.0.1').replace(/^::ffff:/, '');
}

/**
 * Reads the body; past API Gateway's 10 MB quota the request is answered 413 and the rest of
 * the upload is not read (send() closes the connection). A declared Content-Length over the
 * quota is refused by handle() before this is called.
 */
function readBody(req: http.IncomingMessage): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    const onData = (chunk: Buffer): void => {
      size += chunk.length;
      if (size > MAX_BODY_BYTES) {
        req.off('data', onData);
        req.pause();
        chunks.length = 0;
        reject(errors.payloadTooLarge());
        return;
      }
      chunks.push(chunk);
    };
    req.on('data', onData);
    req.on('end', () => resolve(Buffer.concat(chunks)));
    req.on('error', reject);
  });
}

/**
 * Answers a request Node's parser refused (so the pipeline never saw it) in the gateway's own
 * shape: a JSON message and an apigw-requestid, then closes the connection.
 */
function answerUnparsable(error: NodeJS.ErrnoException, socket: import('node:stream').Duplex): void {
  if (!socket.writable || answerInFlight(socket)) {
    socket.destroy();
    return;
  }
  const gatewayError = error.code === 'HPE_HEADER_OVERFLOW' ? errors.headersTooLarge() : error.code === 'ERR_HTTP_REQUEST_TIMEOUT' ? errors.requestTimeout() : errors.badRequest();
  const { status, headers, body } = gatewayError.getResponse();
  const head = [
    `HTTP/1.1 ${status} ${http.STATUS_CODES[status]}`,
    ...Object.entries(headers).map(([name, value]) => `${name}: ${value}`),
    `apigw-requestid: ${randomBytes(12).toString('base64')}`,
    `content-length: ${Buffer.byteLength(body)}`,
    'connection: close',
  ];
  socket.end(`${head.join('\r\n')}\r\n\r\n${refusedHead(error) ? '' : body}`);
}

function unexpected(error: unknown, requestId: string): GatewayError {
  console.error(`[${requestId}] local gateway error:`, error);
  return errors.internal();
}
