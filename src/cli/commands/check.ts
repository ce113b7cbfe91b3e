/** `matc check FILE...`: diagnostics only; exit 1 if any file has errors. */
import { checkFile, formatDiagnostics } from '../../check/index.js';
import { existsSync } from 'node:fs';
import { UserError } from '../../util/errors.js';

export function check(files: readonly string[], overrides: readonly string[], out: (s: string) => void): void {
  if (!files.length) throw new UserError('check: name at least one .mat file');
  let failed = 0;
  for (const file of files) {
    if (!existsSync(file)) {
      process.stderr.write(`${file}: no such file\n`);
      failed++;
      continue;
    }
    const r = checkFile(file, { overrides });
    const errors = r.diagnostics.filter((d) => d.severity === 'error').length;
    if (r.diagnostics.length) process.stderr.write(`${formatDiagnostics(r.diagnostics, r.sources)}\n`);
    if (errors) failed++;
    else out(`${file}: ok${r.pipeline ? ` (pipeline ${r.pipeline.name}, model ${r.pipeline.model.definition}, ${r.pipeline.model.stateDict.filter((s) => s.trainable).reduce((a, s) => a + s.shape.reduce((x, y) => x * y, 1), 0)} parameters)` : ''}`);
  }
  if (failed) throw new UserError(`${failed} of ${files.length} file${files.length === 1 ? '' : 's'} failed to check`);
}
