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
import type { Principal } from '../iam/principal';
import { GatewayError } from './errors';
import type { LocalGateway } from './server';
import { answerAssumeRole, type AssumeRoleCaller } from './sts-assume-role';
import { getSessionToken, parseGetSessionToken } from './sts-get-session-token';
import { actionOf, missingAuthentication, queryParameters, StsError, stsErrorOf } from './sts-query';
import { errorXml, getCallerIdentityXml, getSessionTokenXml } from './sts-xml';
import { stsAllowedOrigins, stsCorsHeaders, stsPreflight } from './sts-cors';
import { verifySignature } from './verify-signature';
import { answerWebIdentity, WEB_IDENTITY_ACTION, wellKnownDocument } from './sts-web-identity';

export const DEFAULT_STS_PORT = 3001;
/** STS requests are small; AssumeRole's largest parameter (Policy) is 2048 characters. */
const MAX_BODY_BYTES = 64 * 1024;
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
    this.server = http.createServer((req, res) => {
      this.handle(req, res).catch((error: unknown) => {
        console.error('local STS error:', error);
        if (!res.headersSent) this.send(res, 500, errorXml({ type: 'Receiver', code: 'InternalFailure', message: 'The request processing has failed because of an unknown error, exception or failure.' }, randomUUID()));
        else res.destroy();
      });
    });
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

  private async handle(req: http.IncomingMessage, res: http.ServerResponse): Promise<void> {
    const preflight = stsPreflight(this.allowedOrigins(), req.method ?? 'GET', req.headers);
    if (preflight) {
      res.writeHead(preflight.status, { ...preflight.headers, 'content-length': Buffer.byteLength(preflight.body) }).end(preflight.body);
      return;
    }
    const requestId = randomUUID();
    const chunks: Buffer[] = [];
    let size = 0;
    for await (const chunk of req as AsyncIterable<Buffer>) {
      size += chunk.length;
      if (size > MAX_BODY_BYTES) {
        this.send(res, 413, errorXml({ type: 'Sender', code: 'RequestEntityTooLarge', message: 'Request entity too large' }, requestId), requestId);
        return;
      }
      chunks.push(chunk);
    }
    const body = Buffer.concat(chunks);
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
      this.options.log?.(`sts ${action} ${caller} ${sts.status} ${sts.code}${foreignSession ? ' (a session token this gateway did not issue: from another npm start, an earlier .iam-http-api/session-key, or a client\'s cache such as ~/.aws/cli/cache)' : ''}`);
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
