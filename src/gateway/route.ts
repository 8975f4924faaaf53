/**
 * Route selection as API Gateway HTTP APIs do it: a full match of method and path first,
 * then paths with `{param}` variables (more literal segments win), then greedy `{proxy+}`
 * paths; a specific method beats `ANY`; `$default` catches what nothing else matches.
 * Paths match case-sensitively, segment by segment.
 */
import { routePathProblem } from '../config/route-path';
import type { RouteDefinition } from './load-stack';

/** The methods a route key may name: API Gateway's HTTP methods and `ANY`. */
export const ROUTE_METHODS = ['ANY', 'GET', 'POST', 'PUT', 'PATCH', 'DELETE', 'HEAD', 'OPTIONS'] as const;

/** What a route key may be, for error messages. */
export const ROUTE_KEY_FORMAT = `$default or "METHOD /path" with METHOD one of ${ROUTE_METHODS.join(', ')} and path segments that are literal, {name} or a final {name+}`;

/**
 * Why `key` is not a route key API Gateway would accept for an HTTP API, or undefined when it
 * is one. A route key is `$default` or an HTTP method (or `ANY`) and a resource path, e.g.
 * `GET /pets/{petID}`; a greedy path variable (`{proxy+}`) must be at the end of the path
 * (https://docs.aws.amazon.com/apigateway/latest/developerguide/http-api-develop-routes.html,
 * "Working with path variables"; aws_apigatewayv2_route's route_key: "$default, or a
 * combination of an HTTP method and resource path, for example, GET /pets"). Literal segments
 * and variable names are limited to the characters iam-http-api.config.ts allows in routes.
 */
export function routeKeyProblem(key: string): string | undefined {
  if (key === '$default') return undefined;
  const match = /^(\S+) (\S+)$/.exec(key);
  if (!match) return 'it is neither $default nor "METHOD /path" (one space between them)';
  const [, method, path] = match;
  if (!(ROUTE_METHODS as readonly string[]).includes(method)) return `the method ${JSON.stringify(method)} is not one of ${ROUTE_METHODS.join(', ')}`;
  return routePathProblem(path);
}

export interface MatchedRoute {
  readonly route: RouteDefinition;
  /** Values of the route's path variables, decoded; empty for `$default`. */
  readonly pathParameters: Readonly<Record<string, string>>;
}

interface CompiledRoute {
  readonly route: RouteDefinition;
  readonly method: string;
  readonly segments: readonly Segment[];
  /** Lower sorts first: the most specific route wins. */
  readonly rank: readonly number[];
}

type Segment =
  | { readonly kind: 'literal'; readonly value: string }
  | { readonly kind: 'param'; readonly name: string }
  | { readonly kind: 'greedy'; readonly name: string };

export class Router {
  private readonly compiled: CompiledRoute[];
  private readonly fallback?: RouteDefinition;

  constructor(routes: readonly RouteDefinition[]) {
    this.fallback = routes.find((r) => r.routeKey === '$default');
    this.compiled = routes
      .filter((r) => r.routeKey !== '$default')
      .map(compile)
      .sort((a, b) => compareRanks(a.rank, b.rank));
  }

  /** The route for `method` on `path` (the decoded request path), or undefined: 404. */
  match(method: string, path: string): MatchedRoute | undefined {
    // A trailing slash does not change the route: HTTP APIs route `/hello/` as `/hello`
    // (tested live against REST and HTTP APIs, aws-powertools/powertools-lambda-python#1552:
    // "both API Gateway REST and HTTPV2 route both /hello and /hello/ to the Lambda").
    const parts = (path.length > 1 && path.endsWith('/') ? path.slice(0, -1) : path).split('/').slice(1);
    for (const candidate of this.compiled) {
      if (candidate.method !== method && candidate.method !== 'ANY') continue;
      const params = matchSegments(candidate.segments, parts);
      if (params) return { route: candidate.route, pathParameters: params };
    }
    return this.fallback ? { route: this.fallback, pathParameters: Object.create(null) as Record<string, string> } : undefined;
  }
}

function compile(route: RouteDefinition): CompiledRoute {
  const space = route.routeKey.indexOf(' ');
  const method = route.routeKey.slice(0, space);
  const segments = route.routeKey.slice(space + 1).split('/').slice(1).map((s): Segment => {
    const variable = /^\{([^}+]+)(\+?)\}$/.exec(s);
    if (!variable) return { kind: 'literal', value: s };
    return variable[2] ? { kind: 'greedy', name: variable[1] } : { kind: 'param', name: variable[1] };
  });
  const greedy = segments.some((s) => s.kind === 'greedy') ? 1 : 0;
  const params = segments.filter((s) => s.kind === 'param').length;
  const literals = segments.filter((s) => s.kind === 'literal').length;
  return { route, method, segments, rank: [greedy, params === 0 ? 0 : 1, -literals, params, method === 'ANY' ? 1 : 0] };
}

function compareRanks(a: readonly number[], b: readonly number[]): number {
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return a[i] - b[i];
  return 0;
}

function matchSegments(segments: readonly Segment[], parts: readonly string[]): Record<string, string> | undefined {
  const params = Object.create(null) as Record<string, string>;
  for (let i = 0; i < segments.length; i++) {
    const segment = segments[i];
    if (segment.kind === 'greedy') {
      const rest = parts.slice(i);
      if (rest.length === 0 || rest.join('/') === '') return undefined;
      params[segment.name] = rest.join('/');
      return params;
    }
    const part = parts[i];
    if (part === undefined) return undefined;
    if (segment.kind === 'literal') {
      if (segment.value !== part) return undefined;
    } else {
      if (part === '') return undefined;
      params[segment.name] = part;
    }
  }
  return parts.length === segments.length ? params : undefined;
}
