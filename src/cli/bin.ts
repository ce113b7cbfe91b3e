#!/usr/bin/env node
/** The `matc` executable: run the CLI and set the exit status (see errors.ts for the codes). */
import { installCrashHandlers } from '../util/errors.js';
import { main } from './main.js';

// Mesa's Vulkan loader warns without a runtime directory; any writable one will do.
process.env['XDG_RUNTIME_DIR'] ??= '/tmp';
installCrashHandlers();
process.exitCode = await main(process.argv.slice(2));
