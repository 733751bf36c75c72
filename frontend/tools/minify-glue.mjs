// Minifies the wasm-bindgen JS glue Trunk wrote into a dist directory (Trunk 0.21
// minifies HTML and CSS, not this file) and puts the new SRI hash into the HTML that
// loads it. The JS-SDK (already minified, vendored) is left as it is.
// Usage: node frontend/tools/minify-glue.mjs DIST_DIR
import { readFileSync, writeFileSync, readdirSync } from 'node:fs';
import { createHash } from 'node:crypto';
import { join } from 'node:path';
import { minify } from 'terser';

const dir = process.argv[2];
if (!dir) throw new Error('usage: minify-glue.mjs DIST_DIR');
const sri = (bytes) => `sha384-${createHash('sha384').update(bytes).digest('base64')}`;
const htmlFile = join(dir, 'index.html');
let html = readFileSync(htmlFile, 'utf8');
for (const name of readdirSync(dir)) {
  if (!name.endsWith('.js') || name.startsWith('wecom.global')) continue;
  const file = join(dir, name);
  const before = readFileSync(file);
  const { code } = await minify(before.toString('utf8'), { module: true, compress: { passes: 2 }, mangle: true });
  writeFileSync(file, code);
  html = html.replaceAll(sri(before), sri(Buffer.from(code)));
  console.log(`minified ${name}: ${before.length} -> ${code.length} bytes`);
}
writeFileSync(htmlFile, html);
