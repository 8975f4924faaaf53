/**
 * One canonical request path for the signature, the IAM resource ARN, the router and the event.
 *
 * SigV4 signers for services other than S3 normalize the path before signing (RFC 3986 dot
 * segments removed, `//` merged: AWS's "Create a canonical request"; @smithy/signature-v4's
 * `uriEscapePath`), while the ARN and the router would otherwise see the raw path: a request
 * signed for `/admin/secret` and sent as `/public/../admin/secret` would pass a check for
 * `GET /public/*`. What API Gateway itself does with dot segments, `//`, and encoded `/` or `%`
 * is not documented; the only public captures (hotsock/voker, 2026) show an HTTP API decoding
 * `%2F` to `/` in `rawPath` and answering `%25` with 400. So the gateway refuses, with 400
 * Bad Request before any other check, every path whose forms could disagree:
 *  - a `.` or `..` segment, literal or percent-encoded (`%2e`, `%2E`);
 *  - an empty segment (`//`) other than one trailing `/`;
 *  - an encoded `/` or `\` (`%2F`, `%5C`), an encoded `%` (`%25`: a second round of decoding
 *    would change the path), an encoded `?` or `#` (`%3F`, `%23`), or a malformed escape;
 *  - a literal `\`.
 * Every other path is the same under every reading: normalization leaves it alone, and its
 * decoded form is what the router and the event use. See docs/request-paths.md.
 */

export type PathCheck =
  | { readonly ok: true; readonly decoded: string }
  | { readonly ok: false; readonly reason: string };

const REFUSED_ESCAPES: Readonly<Record<string, string>> = {
  '2f': 'an encoded "/" (%2F)',
  '5c': 'an encoded "\\" (%5C)',
  '25': 'an encoded "%" (%25)',
  '3f': 'an encoded "?" (%3F)',
  '23': 'an encoded "#" (%23)',
};

/** Checks `rawPath` (as sent, without the query) and decodes it segment by segment. */
export function checkRequestPath(rawPath: string): PathCheck {
  if (!rawPath.startsWith('/')) return { ok: false, reason: 'the path does not start with "/"' };
  if (rawPath.includes('\\')) return { ok: false, reason: 'the path contains "\\"' };
  const escape = /%(?![0-9a-fA-F]{2})|%([0-9a-fA-F]{2})/g;
  for (const match of rawPath.matchAll(escape)) {
    if (match[1] === undefined) return { ok: false, reason: 'the path has a malformed percent-escape' };
    const refused = REFUSED_ESCAPES[match[1].toLowerCase()];
    if (refused) return { ok: false, reason: `the path contains ${refused}` };
  }
  const segments = rawPath.slice(1).split('/');
  const decoded: string[] = [];
  for (let i = 0; i < segments.length; i++) {
    let segment: string;
    try {
      segment = decodeURIComponent(segments[i]);
    } catch {
      return { ok: false, reason: 'the path is not valid percent-encoded UTF-8' };
    }
    if (segment === '.' || segment === '..') return { ok: false, reason: `the path has a "${segment}" segment` };
    if (segment === '' && i < segments.length - 1) return { ok: false, reason: 'the path has an empty segment ("//")' };
    decoded.push(segment);
  }
  return { ok: true, decoded: `/${decoded.join('/')}` };
}
