import { describe, expect, it } from 'vitest';
import { onnxruntimeReason, type ProviderHost, probeProvider, realHost } from './probe-provider';
import type { ProviderName } from './provider-names';

function fakeHost(overrides: Partial<ProviderHost> & { started?: ProviderName[] }): ProviderHost {
  const started = overrides.started ?? [];
  return {
    cudaLibraryInstalled: () => true,
    nvidiaGpus: () => ['NVIDIA H100 80GB HBM3'],
    cudaVisibleDevices: () => undefined,
    vulkanLoaderFound: () => true,
    startSession: async (provider) => {
      started.push(provider);
    },
    ...overrides,
  };
}

describe('probing a provider', () => {
  it('says why CUDA cannot start before trying a session, from the cheapest fact up', async () => {
    const noLibrary = await probeProvider('cuda', 0, fakeHost({ cudaLibraryInstalled: () => false }));
    expect(noLibrary).toMatchObject({
      available: false,
      reason: expect.stringMatching(/ONNXRUNTIME_NODE_INSTALL=cuda12/),
    });
    const hidden = await probeProvider('cuda', 0, fakeHost({ cudaVisibleDevices: () => '' }));
    expect(hidden.reason).toBe('CUDA_VISIBLE_DEVICES="" hides every GPU');
    const noGpu = await probeProvider('cuda', 0, fakeHost({ nvidiaGpus: () => [] }));
    expect(noGpu.reason).toMatch(/no NVIDIA GPU visible/);
  });

  it('starts a real session as the last word, and names the device', async () => {
    const started: ProviderName[] = [];
    expect(await probeProvider('cuda', 0, fakeHost({ started }))).toEqual({
      provider: 'cuda',
      available: true,
      device: 'NVIDIA H100 80GB HBM3',
    });
    const failing = fakeHost({
      startSession: async () => {
        throw new Error(
          '/onnxruntime_src/onnxruntime/core/providers/webgpu/webgpu_context.cc:136 lambda adapter_result.status == wgpu::RequestAdapterStatus::Success was false. Failed to get a WebGPU adapter: No supported adapters\nmore',
        );
      },
    });
    expect(await probeProvider('webgpu', 0, failing)).toEqual({
      provider: 'webgpu',
      available: false,
      reason: 'Failed to get a WebGPU adapter: No supported adapters',
    });
    expect(started).toEqual(['cuda']);
    const noLoader = await probeProvider('webgpu', 0, { ...failing, vulkanLoaderFound: () => false });
    expect(noLoader.reason).toBe(
      'Failed to get a WebGPU adapter: No supported adapters (libvulkan.so.1 not found: install the Vulkan loader, Debian/Ubuntu package libvulkan1)',
    );
  });

  it("names the device only when the CUDA id surely maps onto the driver's PCI-ordered list", async () => {
    const two = ['NVIDIA A10', 'NVIDIA H100 80GB HBM3'];
    const probe = (deviceId: number, host: Partial<ProviderHost>) =>
      probeProvider('cuda', deviceId, fakeHost({ nvidiaGpus: () => two, ...host }));
    // PCI order asked for, nothing hidden: the id indexes the driver's list.
    expect((await probe(1, { cudaDeviceOrder: () => 'PCI_BUS_ID' })).device).toBe('NVIDIA H100 80GB HBM3');
    // CUDA's default order is fastest first: id 0 may be the H100, not the first PCI slot.
    expect((await probe(0, {})).device).toBeUndefined();
    // CUDA_VISIBLE_DEVICES renumbers: id 0 is the second GPU here.
    const visible = await probe(0, { cudaDeviceOrder: () => 'PCI_BUS_ID', cudaVisibleDevices: () => '1' });
    expect(visible).toMatchObject({ available: true });
    expect(visible.device).toBeUndefined();
    // An id the driver does not list gets no name (never gpus[0]).
    expect((await probe(5, { cudaDeviceOrder: () => 'PCI_BUS_ID' })).device).toBeUndefined();
    // One GPU has one order.
    expect((await probeProvider('cuda', 0, fakeHost({}))).device).toBe('NVIDIA H100 80GB HBM3');
    expect((await probeProvider('cuda', 1, fakeHost({}))).device).toBeUndefined();
  });

  it('never needs a probe for the CPU', async () => {
    expect(
      await probeProvider('cpu', 0, fakeHost({ startSession: async () => Promise.reject(new Error('no')) })),
    ).toEqual({
      provider: 'cpu',
      available: true,
    });
  });

  it('keeps the sentence of an onnxruntime error a person can act on', () => {
    expect(
      onnxruntimeReason(
        new Error('OrtSessionOptionsAppendExecutionProvider_Cuda: Failed to load shared library'),
      ),
    ).toBe('OrtSessionOptionsAppendExecutionProvider_Cuda: Failed to load shared library');
  });
});

describe('this machine (real onnxruntime)', () => {
  it('runs the CPU probe session and reports CUDA absent with a reason', async () => {
    await expect(realHost.startSession('cpu', 0)).resolves.toBeUndefined();
    const cuda = await probeProvider('cuda', 0);
    if (cuda.available) {
      console.warn(`CUDA is available here (${cuda.device}): the absent-CUDA assertions do not apply`);
      return;
    }
    expect(cuda.reason).toMatch(/\S/);
  });
});
