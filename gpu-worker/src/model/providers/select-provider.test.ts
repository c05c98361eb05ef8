import { describe, expect, it } from 'vitest';
import type { ProviderProbe } from './probe-provider';
import type { ProviderName } from './provider-names';
import { ProviderUnavailableError, selectProvider } from './select-provider';

/** A host described by which providers start and why the others do not. */
function host(available: Partial<Record<ProviderName, string | true>>) {
  const asked: ProviderName[] = [];
  const probe = async (provider: ProviderName): Promise<ProviderProbe> => {
    asked.push(provider);
    const state = provider === 'cpu' ? true : available[provider];
    if (state === true)
      return {
        provider,
        available: true,
        ...(provider === 'cpu' ? {} : { device: 'NVIDIA H100 80GB HBM3' }),
      };
    return { provider, available: false, reason: state ?? 'not here' };
  };
  return { probe, asked };
}

describe('choosing the execution provider', () => {
  it('auto takes CUDA first when it starts', async () => {
    const h = host({ cuda: true, webgpu: true });
    expect(await selectProvider('auto', h.probe)).toEqual({
      requested: 'auto',
      provider: 'cuda',
      device: 'NVIDIA H100 80GB HBM3',
      fallbacks: [],
    });
    expect(h.asked).toEqual(['cuda']);
  });

  it('auto passes over CUDA to WebGPU, keeping the reason', async () => {
    const h = host({ cuda: 'onnxruntime-node was installed without its CUDA provider', webgpu: true });
    const s = await selectProvider('auto', h.probe);
    expect(s.provider).toBe('webgpu');
    expect(s.fallbacks).toEqual([
      { provider: 'cuda', reason: 'onnxruntime-node was installed without its CUDA provider' },
    ]);
  });

  it('auto ends on the CPU with both reasons', async () => {
    const h = host({ cuda: 'no NVIDIA GPU visible', webgpu: 'No supported adapters' });
    const s = await selectProvider('auto', h.probe);
    expect(s).toEqual({
      requested: 'auto',
      provider: 'cpu',
      fallbacks: [
        { provider: 'cuda', reason: 'no NVIDIA GPU visible' },
        { provider: 'webgpu', reason: 'No supported adapters' },
      ],
    });
  });

  it('auto with requireGpu refuses to end on the CPU', async () => {
    const h = host({ cuda: 'no NVIDIA GPU visible', webgpu: 'No supported adapters' });
    await expect(selectProvider('auto', h.probe, { requireGpu: true })).rejects.toThrow(
      new ProviderUnavailableError(
        'REQUIRE_GPU is set but no GPU provider starts (cuda: no NVIDIA GPU visible; webgpu: No supported adapters)',
      ),
    );
  });

  it('a named provider is required: no adapter is a startup error, not a CPU run', async () => {
    const h = host({ cuda: true, webgpu: 'Failed to get a WebGPU adapter: No supported adapters' });
    await expect(selectProvider('webgpu', h.probe)).rejects.toThrow(
      'PROVIDER=webgpu cannot start here: Failed to get a WebGPU adapter: No supported adapters',
    );
    expect(h.asked).toEqual(['webgpu']);
    await expect(selectProvider('cuda', host({}).probe)).rejects.toThrow(/^PROVIDER=cuda cannot start here/);
  });

  it('a named provider that starts is used as is', async () => {
    expect((await selectProvider('webgpu', host({ webgpu: true }).probe)).provider).toBe('webgpu');
    expect(await selectProvider('cpu', host({}).probe)).toEqual({
      requested: 'cpu',
      provider: 'cpu',
      fallbacks: [],
    });
  });
});
