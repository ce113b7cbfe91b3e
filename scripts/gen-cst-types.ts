/**
 * Writes grammar/cst.d.ts, the CST types generated from the parser (see grammar/cst-types.ts), or
 * to the path given as the first argument. Build first (`npm run build`), then
 * `node dist/scripts/gen-cst-types.js`.
 */
import { writeFileSync } from 'node:fs';
import { cstTypesSource } from '../grammar/cst-types.js';

const out = process.argv[2] ?? 'grammar/cst.d.ts';
writeFileSync(out, cstTypesSource());
console.log(`wrote ${out}`);
