/** Errors the runtime raises; the CLI prints their message without a stack trace. */

export class GpuUnavailableError extends Error {
  constructor(detail: string) {
    super(
      `No WebGPU adapter is available (${detail}). matc runs its kernels through Dawn on Vulkan: ` +
        'on a machine without a GPU it uses Mesa\'s software Vulkan driver (lavapipe), which Dawn accepts from Mesa 23 on. ' +
        'On Debian bookworm install it from bookworm-backports: add "deb http://deb.debian.org/debian bookworm-backports main" ' +
        'to your apt sources, then `apt-get install -t bookworm-backports mesa-vulkan-drivers libvulkan1` ' +
        '(bash scripts/setup.sh does this for you). With a GPU, install its Vulkan driver (e.g. the NVIDIA driver with Vulkan support).',
    );
    this.name = 'GpuUnavailableError';
  }
}

export class GpuError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'GpuError';
  }
}

export class DeviceLostError extends Error {
  constructor(reason: string) {
    super(`The GPU device was lost (${reason}). Runs resume from their last checkpoint with --resume.`);
    this.name = 'DeviceLostError';
  }
}

/** A program run after a variable it was compiled against was dropped or replaced. */
export class StaleProgramError extends Error {
  constructor(program: string, variable: string) {
    super(`program '${program}' was compiled against variable '${variable}', which has since been dropped or replaced (VariableStore.drop, clear or redeclare); compile the program again`);
    this.name = 'StaleProgramError';
  }
}
