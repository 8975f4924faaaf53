/**
 * The path of an HTTP API route key, as API Gateway accepts it: `/`, or segments that are
 * literals, `{name}`, or a final greedy `{name+}` ("Working with routes for HTTP APIs": a
 * greedy path variable "must be at the end of the resource path"). Shared by the config's
 * validation (resolve.ts) and the gateway's reading of synthesized route keys (route.ts).
 */

/** Why `path` is not a route path, or undefined when it is one. */
export function routePathProblem(path: string): string | undefined {
  if (!path.startsWith('/')) return `the path ${JSON.stringify(path)} does not start with /`;
  if (path === '/') return undefined;
  const segments = path.slice(1).split('/');
  for (const [i, segment] of segments.entries()) {
    if (segment === '') return `the path ${JSON.stringify(path)} has an empty segment`;
    if (/^\{[A-Za-z0-9_]+\+\}$/.test(segment)) {
      if (i !== segments.length - 1) return `the greedy path variable ${segment} is not at the end of the path`;
    } else if (!/^\{[A-Za-z0-9_]+\}$/.test(segment) && !/^[A-Za-z0-9\-._~!$&'()+,;=:@%]+$/.test(segment)) {
      return `the path segment ${JSON.stringify(segment)} is neither a literal, nor {name}, nor {name+}`;
    }
  }
  return undefined;
}
