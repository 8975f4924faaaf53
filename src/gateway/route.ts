/**
 * Route selection as API Gateway HTTP APIs do it: a full match of method and path first,
 * then paths with `{param}` variables (more literal segments win), then greedy `{proxy+}`
 * paths; a specific method beats `ANY`; `$default` catches what nothing else matches.
 * Paths match case-sensitively, segment by segment.
 */
import type { RouteDefinition } from './load-stack';

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
    const parts = path.split('/').slice(1);
    for (const candidate of this.compiled) {
      if (candidate.method !== method && candidate.method !== 'ANY') continue;
      const params = matchSegments(candidate.segments, parts);
      if (params) return { route: candidate.route, pathParameters: params };
    }
    return this.fallback ? { route: this.fallback, pathParameters: {} } : undefined;
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
  const params: Record<string, string> = {};
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
