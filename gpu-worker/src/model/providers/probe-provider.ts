import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import * as ort from 'onnxruntime-node';
import { identityModelBytes } from './probe-model';
import type { ProviderName } from './provider-names';
import { providerSessionOptions } from './provider-session-options';

export interface ProviderProbe {
  provider: ProviderName;
  available: boolean;
  /** Why not, in one line, when unavailable. */
  reason?: string;
  /** The GPU's name where the host tells it (NVIDIA's driver does); absent on CPU. */
  device?: string;
}

/** The host facts a probe reads; a seam so tests can describe any machine. */
export interface ProviderHost {
  /** onnxruntime-node's CUDA provider library was installed (ONNXRUNTIME_NODE_INSTALL=cuda12 at image build). */
  cudaLibraryInstalled(): boolean;
  /** The NVIDIA driver exposes at least one GPU to this process; returns its names in PCI bus order. */
  nvidiaGpus(): string[];
  /** CUDA_VISIBLE_DEVICES as set (undefined when unset). */
  cudaVisibleDevices(): string | undefined;
  /** CUDA_DEVICE_ORDER as set (undefined when unset: CUDA then numbers the fastest GPU first). */
  cudaDeviceOrder?(): string | undefined;
  /** The Vulkan loader (libvulkan.so.1) is installed: Dawn finds no adapter without it. */
  vulkanLoaderFound(): boolean;
  /** Creates a session on the tiny probe model with this provider: resolves, or throws onnxruntime's error. */
  startSession(provider: ProviderName, deviceId: number): Promise<void>;
}

/**
 * Does `provider` start on this host? Cheap facts first (a missing library or device needs no
 * session), then a real onnxruntime session on a one-node model, which is the only honest
 * answer: WebGPU needs a Vulkan adapter Dawn accepts, CUDA needs the driver, cuDNN and the
 * provider library to load together.
 */
export async function probeProvider(
  provider: ProviderName,
  deviceId: number,
  host: ProviderHost = realHost,
): Promise<ProviderProbe> {
  if (provider === 'cpu') return { provider, available: true };
  const gpus = host.nvidiaGpus();
  const device = deviceName(gpus, deviceId, host);
  if (provider === 'cuda') {
    if (!host.cudaLibraryInstalled()) {
      return {
        provider,
        available: false,
        reason:
          'onnxruntime-node was installed without its CUDA provider (install with ONNXRUNTIME_NODE_INSTALL=cuda12)',
      };
    }
    const visible = host.cudaVisibleDevices();
    if (visible !== undefined && (visible.trim() === '' || visible.trim() === '-1')) {
      return { provider, available: false, reason: `CUDA_VISIBLE_DEVICES="${visible}" hides every GPU` };
    }
    if (gpus.length === 0) {
      return {
        provider,
        available: false,
        reason: 'no NVIDIA GPU visible (/proc/driver/nvidia/gpus is empty or absent)',
      };
    }
  }
  try {
    await host.startSession(provider, deviceId);
    return { provider, available: true, ...(device ? { device } : {}) };
  } catch (error) {
    const reason = onnxruntimeReason(error);
    // Dawn's "No supported adapters" hides the commonest cause: no Vulkan loader in the image.
    const hint =
      provider === 'webgpu' && !host.vulkanLoaderFound()
        ? ' (libvulkan.so.1 not found: install the Vulkan loader, Debian/Ubuntu package libvulkan1)'
        : '';
    return { provider, available: false, reason: `${reason}${hint}` };
  }
}

/**
 * The name of CUDA device `deviceId`, only where it is certain. The driver lists GPUs in PCI bus
 * order; a CUDA id counts among CUDA_VISIBLE_DEVICES (when set) in CUDA's order, fastest first
 * unless CUDA_DEVICE_ORDER=PCI_BUS_ID. So: no CUDA_VISIBLE_DEVICES, an id the driver lists, and
 * either PCI order or a single GPU (one GPU has one order). Otherwise no name rather than a wrong one.
 */
function deviceName(gpus: string[], deviceId: number, host: ProviderHost): string | undefined {
  if (host.cudaVisibleDevices() !== undefined) return undefined;
  if (!Number.isInteger(deviceId) || deviceId < 0 || deviceId >= gpus.length) return undefined;
  if (gpus.length > 1 && host.cudaDeviceOrder?.() !== 'PCI_BUS_ID') return undefined;
  return gpus[deviceId];
}

/** onnxruntime's errors carry a source path and a bracketed prefix; keep the sentence a person can act on. */
export function onnxruntimeReason(error: unknown): string {
  const first = String((error as Error)?.message ?? error).split('\n')[0];
  const afterFalse = first.split(' was false. ').pop() ?? first;
  return afterFalse.replace(/^\/\S+:\d+ /, '').trim() || 'unknown error';
}

const require = createRequire(import.meta.url);

/** Where onnxruntime-node keeps its native libraries for this platform. */
function onnxruntimeBinDir(): string {
  const pkg = dirname(require.resolve('onnxruntime-node/package.json'));
  const napi = existsSync(join(pkg, 'bin'))
    ? readdirSync(join(pkg, 'bin')).find((d) => d.startsWith('napi-v'))
    : undefined;
  return join(pkg, 'bin', napi ?? 'napi-v6', process.platform, process.arch);
}

const NVIDIA_GPUS = '/proc/driver/nvidia/gpus';

export const realHost: ProviderHost = {
  cudaLibraryInstalled: () => existsSync(join(onnxruntimeBinDir(), 'libonnxruntime_providers_cuda.so')),
  nvidiaGpus: () => {
    if (!existsSync(NVIDIA_GPUS)) return [];
    // Entries are PCI addresses (0000:3b:00.0, fixed-width hex): sorted, they are in bus order.
    return readdirSync(NVIDIA_GPUS)
      .sort()
      .map((bus) => {
        try {
          const info = readFileSync(join(NVIDIA_GPUS, bus, 'information'), 'utf8');
          return /^Model:\s*(.+)$/m.exec(info)?.[1]?.trim() ?? `NVIDIA GPU ${bus}`;
        } catch {
          return `NVIDIA GPU ${bus}`;
        }
      });
  },
  cudaVisibleDevices: () => process.env.CUDA_VISIBLE_DEVICES,
  cudaDeviceOrder: () => process.env.CUDA_DEVICE_ORDER,
  vulkanLoaderFound: () => {
    const dirs = (process.env.LD_LIBRARY_PATH ?? '').split(':').filter(Boolean);
    if (dirs.some((d) => existsSync(join(d, 'libvulkan.so.1')))) return true;
    try {
      return readFileSync('/etc/ld.so.cache').includes('libvulkan.so.1');
    } catch {
      return false;
    }
  },
  startSession: async (provider, deviceId) => {
    const session = await ort.InferenceSession.create(identityModelBytes(), {
      ...providerSessionOptions(provider, { deviceId }),
      logSeverityLevel: 4, // the failure comes back as the thrown error; no duplicate on stderr
    });
    await session.release();
  },
};
