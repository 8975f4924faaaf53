/**
 * A local AWS STS on 127.0.0.1 for the stack the gateway serves: AWS's Query API (API version
 * 2011-06-15; a form-encoded POST, or GET with a query string), signed with SigV4 for service
 * `sts` in the stack's region. Callers are the user invokers (their long-term keys), the other
 * accounts' local identities (account-identities.ts) and sessions it issued (role chaining,
 * GetSessionToken), all resolved by the gateway (LocalGateway.callerOf), so
 * a watch-mode reload of the stack applies here too.
 *
 * Actions:
 *  - AssumeRole: a role of the stack, decided with its trust policy and the caller's identity
 *    policies; session policies (Policy, PolicyArns), session tags with transitive keys in role
 *    chains, PackedPolicySize (sts-assume-role.ts).
 *  - GetSessionToken: an IAM user's own temporary credentials (sts-get-session-token.ts).
 *  - GetCallerIdentity: the caller's ARN, unique id and account (needs no permission in AWS).
 * Errors are AWS's XML (sts-xml.ts) with AWS's codes (sts-query.ts).
 */
import { randomUUID } from 'node:crypto';
import * as http from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Duplex } from 'node:stream';
import type { Principal } from '../iam/principal';
import { answerInFlight, refusedHead } from './client-errors';
import { GatewayError } from './errors';
import { closeWithoutReading, type LocalGateway } from './server';
import { FOREIGN_SESSION_HINT } from './session-callers';
import { answerAssumeRole, type AssumeRoleCaller } from './sts-assume-role';
import { getSessionToken, parseGetSessionToken } from './sts-get-session-token';
import { actionOf, missingAuthentication, queryParameters, StsError, stsErrorOf } from './sts-query';
import { errorXml, getCallerIdentityXml, getSessionTokenXml } from './sts-xml';
import { stsAllowedOrigins, stsCorsHeaders, stsPreflight } from './sts-cors';
import { verifySignature } from './verify-signature';
import { answerWebIdentity, WEB_IDENTITY_ACTION, wellKnownDocument } from './sts-web-identity';

export const DEFAULT_STS_PORT = 3001;
/** STS requests are small; AssumeRole's largest parameter (Policy) is 2048 characters. */
export const STS_MAX_BODY_BYTES = 64 * 1024;
/*
 * Bounds on what one client can hold of the process the STS shares with the gateway (the
 * gateway's own are in server.ts). AWS documents none of these for STS: they are ours.
 */
/**
 * Request line and headers: Node's default (16 KB), set here so that a --max-http-header-size flag
 * does not raise it. A session token with a full 2,048-character Policy and a few tags is ~4 KB.
 */
export const STS_MAX_HEADER_BYTES = 16 * 1024;
/**
 * Connections served at once: an STS flood must not take the file descriptors the gateway
 * (DEFAULT_MAX_CONNECTIONS, 512) needs. STS clients (the CLI, SDKs, the page) hold one or two each.
 */
export const STS_MAX_CONNECTIONS = 128;
/**
 * The whole request (line, headers, at most 64 KB of body) must arrive within this (slowloris):
 * on loopback it takes milliseconds. The headers within HEADERS_TIMEOUT_MS, counted from the
 * connection, so one that sends nothing is answered 408 and closed then too.
 */
export const STS_REQUEST_TIMEOUT_MS = 10_000;
const HEADERS_TIMEOUT_MS = 5_000;
/** How often Node checks those timeouts (its default, 30 s, would let a slow request stay 40 s). */
const TIMEOUT_CHECK_MS = 1_000;
const ACTIONS = ['AssumeRole', 'GetCallerIdentity', 'GetSessionToken', WEB_IDENTITY_ACTION] as const;

export interface StsServerOptions {
  /** The gateway whose stack (roles, invokers) and keys this STS serves. */
  readonly gateway: LocalGateway;
  /** The key sessions are sealed with: the gateway's (GatewayOptions.sessionKey). */
  readonly sessionKey: Buffer;
  /** 0 picks a free port. */
  readonly port: number;
  readonly now?: () => Date;
  /** One line per request: action, caller, outcome. */
  readonly log?: (line: string) => void;
  /** Origins (the browser page's) whose scripts may read the answers, besides the stack's cors.allowOrigins; never `*` (sts-cors.ts). */
  readonly allowOrigins?: readonly string[];
  /** The local OIDC issuer's key (oidc-issuer.ts: oidcKeyPath), for AssumeRoleWithWebIdentity; without it no web token verifies. */
  readonly oidcKeyFile?: string;
  /** STS_REQUEST_TIMEOUT_MS unless given (tests shorten it); the headers' timeout is at most this. */
  readonly requestTimeoutMs?: number;
}

/** The STS port is taken; the message says what to do. */
export class StsPortInUseError extends Error {
  constructor(readonly port: number) {
    super(`Port ${port} on 127.0.0.1 is already in use, so the local STS (AssumeRole) cannot start; the gateway runs without it. Stop the program using it, or use another port: STS_PORT=${port + 1} npm start`);
    this.name = 'StsPortInUseError';
  }
}

export class StsServer {
  private readonly server: http.Server;
  private readonly now: () => Date;

  constructor(private readonly options: StsServerOptions) {
    this.now = options.now ?? (() => new Date());
    const requestTimeout = options.requestTimeoutMs ?? STS_REQUEST_TIMEOUT_MS;
    this.server = http.createServer({
      maxHeaderSize: STS_MAX_HEADER_BYTES,
      requestTimeout,
      headersTimeout: Math.min(HEADERS_TIMEOUT_MS, requestTimeout),
      connectionsCheckingInterval: TIMEOUT_CHECK_MS,
      // An HTTP/1.1 request without Host is answered below like any other (in STS's XML, not
      // Node's empty 400): SigV4 needs a signed host, so it is refused unless unsigned is allowed.
      requireHostHeader: false,
    }, (req, res) => {
      this.handle(req, res).catch((error: unknown) => this.lastResort(req, res, error));
    });
    this.server.maxConnections = STS_MAX_CONNECTIONS;
    // Requests Node's parser refuses (a header section over the bound, a malformed request line,
    // headers or chunking, a request too slow to arrive) never reach handle(): answered here.
    this.server.on('clientError', (error: NodeJS.ErrnoException, socket: Duplex) => answerUnparsable(error, socket));
    // `Expect` other than 100-continue: Node's own 417 has an empty body; STS's XML instead.
    this.server.on('checkExpectation', (req: http.IncomingMessage, res: http.ServerResponse) => {
      const requestId = randomUUID();
      closeWithoutReading(req, res);
      this.send(res, 417, errorXml({ type: 'Sender', code: 'ExpectationFailed', message: `Expectation not supported: ${String(req.headers.expect)}` }, requestId), requestId);
    });
    // CONNECT (a proxy tunnel) is no Query API request; without this Node drops the connection unanswered.
    this.server.on('connect', (_req: http.IncomingMessage, socket: Duplex) => writeRawAnswer(socket, 405, { code: 'MethodNotAllowed', message: 'The CONNECT method is not allowed against this resource.' }));
  }

  listen(): Promise<string> {
    return new Promise((resolve, reject) => {
      const onError = (error: NodeJS.ErrnoException): void => reject(error.code === 'EADDRINUSE' ? new StsPortInUseError(this.options.port) : error);
      this.server.once('error', onError);
      this.server.listen(this.options.port, '127.0.0.1', () => {
        this.server.off('error', onError);
        resolve(this.url);
      });
    });
  }

  get url(): string {
    const address = this.server.address() as AddressInfo | null;
    return `http://127.0.0.1:${address?.port ?? this.options.port}`;
  }

  close(): Promise<void> {
    return new Promise((resolve) => {
      this.server.close(() => resolve());
      this.server.closeIdleConnections();
    });
  }

  private send(res: http.ServerResponse, status: number, body: string, requestId?: string): void {
    res.writeHead(status, { 'content-type': 'text/xml', 'content-length': Buffer.byteLength(body), ...(requestId ? { 'x-amzn-requestid': requestId } : {}), ...stsCorsHeaders(this.allowedOrigins(), res.req.headers.origin) });
    res.end(body);
  }

  /** The page's origin and the stack's (read per request: a watch-mode reload may change them). */
  private allowedOrigins(): string[] {
    return stsAllowedOrigins(this.options.allowOrigins ?? [], this.options.gateway.stack.cors?.allowOrigins);
  }

  /** Anything that escaped handle(): a logged 500 in STS's XML if it can still be sent, else a cut connection. */
  private lastResort(req: http.IncomingMessage, res: http.ServerResponse, error: unknown): void {
    console.error('local STS error:', error);
    try {
      if (res.headersSent || res.destroyed) {
        res.destroy();
        return;
      }
      res.shouldKeepAlive = false;
      const requestId = randomUUID();
      this.send(res, 500, errorXml({ type: 'Receiver', code: 'InternalFailure', message: 'The request processing has failed because of an unknown error, exception or failure.' }, requestId), requestId);
    } catch {
      req.socket.destroy();
    }
  }

  private async handle(req: http.IncomingMessage, res: http.ServerResponse): Promise<void> {
    const preflight = stsPreflight(this.allowedOrigins(), req.method ?? 'GET', req.headers);
    if (preflight) {
      res.writeHead(preflight.status, { ...preflight.headers, 'content-length': Buffer.byteLength(preflight.body) }).end(preflight.body);
      return;
    }
    const requestId = randomUUID();
    const read = Number(req.headers['content-length'] ?? 0) > STS_MAX_BODY_BYTES ? 'too-large' : await readBody(req);
    // Gone, or cut by the request timeout (answered by answerUnparsable): nothing to answer.
    if (read === 'aborted') return;
    if (read === 'too-large') {
      // As the gateway refuses its uploads: the 413 goes out with `connection: close`, the rest of
      // the body is not read, and the connection is half-closed at once and cut a second later, so
      // the client reads the answer and its end. (Before, the connection stayed open on the unread
      // body until keep-alive ran out, ~6 s, and was then reset.) A declared Content-Length over
      // the cap is refused before any of the body is read.
      closeWithoutReading(req, res);
      this.send(res, 413, errorXml({ type: 'Sender', code: 'RequestEntityTooLarge', message: 'Request entity too large' }, requestId), requestId);
      return;
    }
    const body = read;
    const target = req.url ?? '/';
    const q = target.indexOf('?');
    const rawPath = q < 0 ? target : target.slice(0, q);
    const rawQuery = q < 0 ? '' : target.slice(q + 1);
    const document = wellKnownDocument(req.method ?? 'GET', rawPath, this.options.oidcKeyFile, this.url);
    if (document !== undefined) {
      res.writeHead(200, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(document) }).end(document);
      return;
    }
    let action = '-';
    let caller = '-';
    try {
      const parameters = queryParameters(rawQuery, body, req.headers['content-type']);
      action = actionOf(parameters, ACTIONS);
      if (action === WEB_IDENTITY_ACTION) {
        // Not signed (AWS accepts it unsigned): the web identity token is the proof (sts-web-identity.ts).
        const { stack } = this.options.gateway;
        const answer = answerWebIdentity(parameters, req, { stack, sessionKey: this.options.sessionKey, oidcKeyFile: this.options.oidcKeyFile, now: this.now(), log: this.options.log }, requestId);
        caller = answer.subject;
        this.send(res, 200, answer.xml, requestId);
        this.options.log?.(`sts ${action} ${caller} 200`);
        return;
      }
      const principal = await this.authenticate(req, rawPath, rawQuery, body);
      caller = principal.principal.arn;
      const xml = action === 'AssumeRole' ? this.assumeRole(principal, parameters, req, requestId)
        : action === 'GetSessionToken' ? getSessionTokenXml(getSessionToken(principal.principal, parseGetSessionToken(parameters), this.options.sessionKey, this.now()), requestId)
          : this.getCallerIdentity(principal.principal, requestId);
      this.send(res, 200, xml, requestId);
      this.options.log?.(`sts ${action} ${caller} 200`);
    } catch (error) {
      const sts = error instanceof StsError ? error : error instanceof GatewayError ? stsErrorOf(error) : undefined;
      if (!sts) throw error;
      this.send(res, sts.status, errorXml({ type: sts.type, code: sts.code, message: sts.message }, requestId), requestId);
      // A session token this STS cannot open was sealed with another session key: another npm start's,
      // one deleted since, or kept by a client's cache (the AWS CLI's ~/.aws/cli/cache) from before.
      const foreignSession = sts.code === 'InvalidClientTokenId' && (req.headers['x-amz-security-token'] !== undefined || /(^|&)X-Amz-Security-Token=/i.test(rawQuery));
      this.options.log?.(`sts ${action} ${caller} ${sts.status} ${sts.code}${foreignSession ? ` (${FOREIGN_SESSION_HINT})` : ''}`);
    }
  }

  /** The signer, and its session's claims when it signs with temporary credentials. */
  private async authenticate(req: http.IncomingMessage, rawPath: string, rawQuery: string, body: Buffer): Promise<AssumeRoleCaller> {
    const { gateway } = this.options;
    let principal: AssumeRoleCaller | undefined;
    const verified = await verifySignature(
      { method: req.method ?? 'GET', rawPath, rawQuery, rawHeaders: req.rawHeaders, body },
      {
        region: gateway.stack.region,
        service: 'sts',
        now: this.now(),
        lookupCredentials: (accessKeyId, sessionToken) => {
          const found = gateway.callerOf(accessKeyId, sessionToken, this.now());
          principal = found && { principal: found.principal, ...(found.claims ? { claims: found.claims } : {}) };
          return found && { secretAccessKey: found.secretAccessKey, ...(found.sessionToken !== undefined ? { sessionToken: found.sessionToken } : {}) };
        },
      },
    );
    if (!verified) throw missingAuthentication();
    if (!principal) throw stsErrorOf(new GatewayError(403, 'The security token included in the request is invalid.', 'UnrecognizedClientException'));
    return principal;
  }

  private getCallerIdentity(principal: Principal, requestId: string): string {
    return getCallerIdentityXml({ arn: principal.arn, userId: principal.userId, account: principal.accountId }, requestId);
  }

  private assumeRole(caller: AssumeRoleCaller, parameters: ReadonlyMap<string, string>, req: http.IncomingMessage, requestId: string): string {
    const userAgent = req.headers['user-agent'];
    return answerAssumeRole(caller, parameters, {
      stack: this.options.gateway.stack, sessionKey: this.options.sessionKey, now: this.now(),
      sourceIp: (req.socket.remoteAddress ?? '127.0.0.1').replace(/^::ffff:/, ''), ...(userAgent ? { userAgent } : {}),
      ...(this.options.log ? { log: this.options.log } : {}),
    }, requestId);
  }
}

/** For the banner and gateway.json: who may assume each role (who-may-assume.ts). */
export { whoMayAssume } from './who-may-assume';

/**
 * The body, or why there is none: past STS_MAX_BODY_BYTES (the rest is left unread; the caller closes
 * the connection), or the client went away or was cut by the request timeout before it ended.
 */
function readBody(req: http.IncomingMessage): Promise<Buffer | 'too-large' | 'aborted'> {
  return new Promise((resolve) => {
    const chunks: Buffer[] = [];
    let size = 0;
    const onData = (chunk: Buffer): void => {
      size += chunk.length;
      if (size > STS_MAX_BODY_BYTES) {
        req.off('data', onData);
        req.pause();
        chunks.length = 0;
        resolve('too-large');
        return;
      }
      chunks.push(chunk);
    };
    req.on('data', onData);
    req.on('end', () => resolve(Buffer.concat(chunks)));
    // After 'end' these change nothing (a promise settles once); before it, the body never came.
    req.on('error', () => resolve('aborted'));
    req.on('close', () => resolve('aborted'));
  });
}

/** How long a connection answered by answerUnparsable may stay open for the client to read it. */
const UNPARSABLE_GRACE_MS = 1_000;

/**
 * An STS error in AWS's XML written straight to the socket (no request object: Node's parser
 * refused the request, or it is a CONNECT), then the connection is closed: half-closed at once,
 * cut after a grace period whatever the client still sends.
 */
function writeRawAnswer(socket: Duplex, status: number, error: { readonly code: string; readonly message: string }, headOnly = false): void {
  if (!socket.writable) {
    socket.destroy();
    return;
  }
  const requestId = randomUUID();
  const body = errorXml({ type: 'Sender', ...error }, requestId);
  const head = [
    `HTTP/1.1 ${status} ${http.STATUS_CODES[status] ?? ''}`,
    'content-type: text/xml',
    `content-length: ${Buffer.byteLength(body)}`,
    `x-amzn-requestid: ${requestId}`,
    'connection: close',
  ];
  socket.end(`${head.join('\r\n')}\r\n\r\n${headOnly ? '' : body}`);
  setTimeout(() => socket.destroy(), UNPARSABLE_GRACE_MS).unref();
}

/**
 * Answers what Node's parser refused (as the gateway's answerUnparsable does, in STS's XML): a
 * header section over STS_MAX_HEADER_BYTES (431), a request slower than the timeouts (408),
 * anything else malformed (400). AWS's answers to these are not documented: the codes are ours.
 * Nothing is written when part of an answer already went out on the socket (a 413 whose
 * connection is lingering): Node's own handler makes the same check.
 */
function answerUnparsable(error: NodeJS.ErrnoException, socket: Duplex): void {
  if (answerInFlight(socket)) {
    socket.destroy();
    return;
  }
  const headOnly = refusedHead(error);
  if (error.code === 'HPE_HEADER_OVERFLOW') writeRawAnswer(socket, 431, { code: 'RequestHeaderFieldsTooLarge', message: `The request line and headers exceed ${STS_MAX_HEADER_BYTES} bytes.` }, headOnly);
  else if (error.code === 'ERR_HTTP_REQUEST_TIMEOUT') writeRawAnswer(socket, 408, { code: 'RequestTimeout', message: 'The request did not arrive in full within the timeout period.' });
  else writeRawAnswer(socket, 400, { code: 'MalformedHTTPRequest', message: 'The request is not valid HTTP/1.1.' }, headOnly);
}
