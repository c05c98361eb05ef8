/**
 * CPU profiles of the Worker through workerd's DevTools inspector (Miniflare's `inspectorPort`),
 * and a summary of where the time went. Node 20 needs `--experimental-websocket` for the client.
 */

interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
  children?: number[];
}

export interface CpuProfile {
  nodes: ProfileNode[];
  samples: number[];
  startTime: number;
  endTime: number;
}

/** Runs `work` with the sampling profiler on in the Worker named `workerName`; returns the profile. */
export async function profileWorker(
  inspectorPort: number,
  workerName: string,
  work: () => Promise<void>,
): Promise<CpuProfile> {
  const targets = (await (await fetch(`http://127.0.0.1:${inspectorPort}/json`)).json()) as {
    id: string;
    webSocketDebuggerUrl: string;
  }[];
  const target = targets.find((t) => t.id.includes(workerName));
  if (!target)
    throw new Error(`no inspector target for ${workerName}: ${targets.map((t) => t.id).join(', ')}`);
  const socket = new WebSocket(target.webSocketDebuggerUrl);
  await new Promise((resolve, reject) => {
    socket.addEventListener('open', resolve);
    socket.addEventListener('error', reject);
  });
  let nextId = 0;
  const waiting = new Map<number, (result: unknown) => void>();
  socket.addEventListener('message', (event) => {
    const message = JSON.parse(String(event.data)) as { id?: number; result?: unknown };
    if (message.id !== undefined) waiting.get(message.id)?.(message.result);
  });
  const send = (method: string, params: object = {}) =>
    new Promise<unknown>((resolve) => {
      const id = ++nextId;
      waiting.set(id, resolve);
      socket.send(JSON.stringify({ id, method, params }));
    });
  try {
    await send('Profiler.enable');
    await send('Profiler.setSamplingInterval', { interval: 200 }); // microseconds
    await send('Profiler.start');
    await work();
    return ((await send('Profiler.stop')) as { profile: CpuProfile }).profile;
  } finally {
    socket.close();
  }
}

export interface HotFunction {
  name: string;
  /** Share of the samples in which the Worker was busy (idle and program time left out). */
  share: number;
}

/** Functions by self time, as shares of the busy samples. */
export function hottest(profile: CpuProfile, top: number): { busySamples: number; functions: HotFunction[] } {
  const byId = new Map(profile.nodes.map((n) => [n.id, n]));
  const counts = new Map<string, number>();
  let busy = 0;
  for (const id of profile.samples) {
    const frame = byId.get(id)?.callFrame;
    if (!frame || frame.functionName === '(idle)' || frame.functionName === '(program)') continue;
    busy++;
    const file = frame.url.split('/').pop() || '(native)';
    const name = `${frame.functionName || '(anonymous)'} ${file}:${frame.lineNumber + 1}`;
    counts.set(name, (counts.get(name) ?? 0) + 1);
  }
  const functions = [...counts]
    .sort((a, b) => b[1] - a[1])
    .slice(0, top)
    .map(([name, n]) => ({ name, share: n / Math.max(1, busy) }));
  return { busySamples: busy, functions };
}
