/** The handler bundle's size, minified, against the seed's 873 bytes. Goal: under 1 KB. */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { gzipSync } from 'node:zlib';
import { HANDLER_FILE, bundleHandler } from '../src/stack/handler-bundle';

export const SEED_BUNDLE_BYTES = 873;

export function benchHandlerSize(): number {
  const out = fs.mkdtempSync(path.join(os.tmpdir(), 'iam-http-api-bundle-'));
  try {
    const code = fs.readFileSync(path.join(bundleHandler('nodejs22.x', out), HANDLER_FILE));
    console.log(`Handler bundle: ${code.length} B minified (${gzipSync(code).length} B gzipped); seed ${SEED_BUNDLE_BYTES} B; ratio ${(code.length / SEED_BUNDLE_BYTES).toFixed(2)}; goal < 1024 B: ${code.length < 1024 ? 'met' : 'NOT met'}`);
    return code.length;
  } finally {
    fs.rmSync(out, { recursive: true, force: true });
  }
}
