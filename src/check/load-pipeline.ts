/** Check a .mat file for the CLI: diagnostics are printed and become a UserError. */
import { existsSync } from 'node:fs';
import { checkFile, formatDiagnostics, type ResolvedPipeline } from './index.js';
import { UserError } from '../util/errors.js';

export function loadPipeline(file: string, overrides: readonly string[] = [], pipeline?: string): ResolvedPipeline {
  if (!existsSync(file)) throw new UserError(`${file}: no such file`);
  const result = checkFile(file, { overrides, ...(pipeline ? { pipeline } : {}) });
  const errors = result.diagnostics.filter((d) => d.severity === 'error');
  const warnings = result.diagnostics.filter((d) => d.severity !== 'error');
  if (warnings.length) process.stderr.write(`${formatDiagnostics(warnings, result.sources)}\n`);
  if (errors.length) throw new UserError(`${formatDiagnostics(errors, result.sources)}\n${errors.length} error${errors.length === 1 ? '' : 's'}`);
  if (!result.pipeline) throw new UserError(`${file}: defines no pipeline (only models, blocks or constants); run needs a file with a \`pipeline\``);
  return result.pipeline;
}
