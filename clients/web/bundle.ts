/**
 * Builds the browser page with esbuild: clients/web/main.ts and aws4fetch into one minified
 * ES module. `bundleWebPage()` returns the files in memory (the page server serves them);
 * `npx tsx clients/web/bundle.ts` writes them to .build/web/ to look at.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { build } from 'esbuild';

export const WEB_DIR = __dirname;

export interface WebPageFiles {
  /** index.html with `{{GATEWAY_URL}}` and `{{REGION}}` still to fill in. */
  readonly html: string;
  readonly script: string;
  readonly style: string;
}

export async function bundleWebPage(): Promise<WebPageFiles> {
  const result = await build({
    entryPoints: [path.join(WEB_DIR, 'main.ts')],
    tsconfig: path.join(WEB_DIR, 'tsconfig.json'),
    bundle: true,
    format: 'esm',
    target: 'es2022',
    platform: 'browser',
    minify: true,
    legalComments: 'none',
    write: false,
    outfile: 'main.js',
    logLevel: 'silent',
  });
  return {
    html: fs.readFileSync(path.join(WEB_DIR, 'index.html'), 'utf8'),
    script: result.outputFiles[0].text,
    style: fs.readFileSync(path.join(WEB_DIR, 'style.css'), 'utf8'),
  };
}

if (require.main === module) {
  const out = path.resolve(WEB_DIR, '..', '..', '.build', 'web');
  bundleWebPage().then((files) => {
    fs.mkdirSync(out, { recursive: true });
    fs.writeFileSync(path.join(out, 'index.html'), files.html);
    fs.writeFileSync(path.join(out, 'main.js'), files.script);
    fs.writeFileSync(path.join(out, 'style.css'), files.style);
    console.log(`Wrote ${path.relative(process.cwd(), out)}/ (main.js ${files.script.length} bytes)`);
  }, (error: unknown) => {
    console.error(error);
    process.exit(1);
  });
}
