/**
 * Adapter and device acquisition through Dawn's Node bindings. Uncaptured GPU errors and
 * device loss are recorded and raised at the next synchronisation point (`check()`), never
 * swallowed. Call `destroy()` when done: a live device keeps Node from exiting.
 */
import { create, globals } from 'webgpu';
import { GpuUnavailableError, GpuError, DeviceLostError } from './errors.js';
import type { KernelTarget } from '../ir/op.js';

Object.assign(globalThis, globals);

export interface AdapterDescription {
  vendor: string;
  architecture: string;
  device: string;
  description: string;
  /** 'vulkan', 'metal', 'd3d12', ... as far as Dawn tells. */
  backend: string;
  /** True for CPU implementations (lavapipe, SwiftShader). */
  isSoftware: boolean;
}

export interface GpuContext {
  readonly device: GPUDevice;
  readonly adapter: AdapterDescription;
  readonly limits: Record<string, number>;
  readonly features: string[];
  readonly hasTimestamps: boolean;
  /**
   * What kernels generated for this device may rely on beyond WebGPU's baseline: `subgroupSize`
   * when the `subgroups` feature is enabled and every subgroup has that many lanes (the adapter's
   * subgroupMinSize == subgroupMaxSize). MATC_SUBGROUPS=off leaves the feature off.
   */
  readonly target: KernelTarget;
  /** Throw the first pending uncaptured error, or DeviceLostError if the device is gone. */
  check(): void;
  destroy(): void;
}

export interface AcquireOptions {
  powerPreference?: 'low-power' | 'high-performance';
  /** Extra Dawn toggles/options passed to `create()`. */
  dawnOptions?: string[];
}

/** The limits matc wants as high as the adapter allows. */
const WANTED_LIMITS = [
  'maxStorageBufferBindingSize',
  'maxBufferSize',
  'maxComputeWorkgroupStorageSize',
  'maxComputeInvocationsPerWorkgroup',
  'maxComputeWorkgroupSizeX',
  'maxComputeWorkgroupSizeY',
  'maxStorageBuffersPerShaderStage',
  'maxComputeWorkgroupsPerDimension',
] as const;

function describeAdapter(adapter: GPUAdapter): AdapterDescription {
  const info = adapter.info as GPUAdapterInfo & { backendType?: string; adapterType?: string };
  const description = info.description ?? '';
  const dev = info.device ?? '';
  const text = `${info.vendor} ${info.architecture} ${dev} ${description}`.toLowerCase();
  return {
    vendor: info.vendor ?? '',
    architecture: info.architecture ?? '',
    device: dev,
    description,
    backend: info.backendType ?? 'vulkan',
    isSoftware: info.adapterType === 'cpu' || /llvmpipe|lavapipe|swiftshader/.test(text),
  };
}

/**
 * The adapter's subgroup size if it offers `subgroups` and the size cannot vary between
 * pipelines (a kernel that divides work by lanes must know the count when it is generated).
 */
function fixedSubgroupSize(adapter: GPUAdapter): number | null {
  if (process.env['MATC_SUBGROUPS'] === 'off' || !adapter.features.has('subgroups')) return null;
  const info = adapter.info as GPUAdapterInfo & { subgroupMinSize?: number; subgroupMaxSize?: number };
  const min = info.subgroupMinSize;
  return typeof min === 'number' && min > 0 && min === info.subgroupMaxSize ? min : null;
}

const liveInstances = new Set<GPU>();

export async function acquireDevice(opts: AcquireOptions = {}): Promise<GpuContext> {
  process.env['XDG_RUNTIME_DIR'] ??= '/tmp';
  let gpu: GPU;
  try {
    gpu = create(opts.dawnOptions ?? []);
  } catch (e) {
    throw new GpuUnavailableError(`Dawn failed to start: ${(e as Error).message}`);
  }
  let adapter: GPUAdapter | null = null;
  try {
    adapter = await gpu.requestAdapter({ powerPreference: opts.powerPreference ?? 'high-performance' });
  } catch (e) {
    throw new GpuUnavailableError((e as Error).message);
  }
  if (!adapter) throw new GpuUnavailableError('requestAdapter returned none');

  const requiredLimits: Record<string, number> = {};
  for (const k of WANTED_LIMITS) {
    const v = (adapter.limits as unknown as Record<string, number>)[k];
    if (typeof v === 'number') requiredLimits[k] = v;
  }
  const hasTimestamps = adapter.features.has('timestamp-query');
  const subgroupSize = fixedSubgroupSize(adapter);
  const requiredFeatures: GPUFeatureName[] = [...(hasTimestamps ? ['timestamp-query' as const] : []), ...(subgroupSize ? ['subgroups' as GPUFeatureName] : [])];
  let device: GPUDevice;
  try {
    device = await adapter.requestDevice({ requiredLimits, requiredFeatures });
  } catch (e) {
    throw new GpuUnavailableError(`requestDevice failed: ${(e as Error).message}`);
  }

  const pending: string[] = [];
  let lostReason: string | null = null;
  let destroyed = false;
  device.addEventListener('uncapturederror', (ev) => {
    const err = (ev as GPUUncapturedErrorEvent).error;
    pending.push(err.message);
  });
  void device.lost.then((info) => {
    if (!destroyed) lostReason = `${info.reason}: ${info.message}`;
  });

  const limits: Record<string, number> = {};
  const proto = Object.getPrototypeOf(device.limits) as object;
  for (const k of Object.keys(Object.getOwnPropertyDescriptors(proto))) {
    const v = (device.limits as unknown as Record<string, unknown>)[k];
    if (typeof v === 'number') limits[k] = v;
  }

  // Dawn's instance must outlive the device: if the GPU object is garbage collected, pending
  // async work (pipeline creation, mapAsync) crashes the process. Keep it referenced.
  liveInstances.add(gpu);

  return {
    device,
    adapter: describeAdapter(adapter),
    limits,
    features: [...adapter.features].map(String).sort(),
    hasTimestamps,
    target: subgroupSize ? { subgroupSize } : {},
    check() {
      if (lostReason) throw new DeviceLostError(lostReason);
      if (pending.length) {
        const msg = pending.splice(0).join('\n');
        throw new GpuError(`GPU error: ${msg}`);
      }
    },
    destroy() {
      if (destroyed) return;
      destroyed = true;
      device.destroy();
      liveInstances.delete(gpu);
    },
  };
}
