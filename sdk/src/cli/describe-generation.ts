import type { Generation } from '@ldm/shared';

const seconds = (ms: number | null) => (ms === null ? '-' : `${(ms / 1000).toFixed(2)} s`);

/** A few readable lines about one generation (`ldm get`, the end of `ldm generate`). */
export function describeGeneration(g: Generation): string {
  const i = g.input;
  const lines = [
    `${g.id}  ${g.status}${g.cached ? ' (cached)' : ''}`,
    `  prompt     ${JSON.stringify(i.prompt)}${i.negative_prompt ? `  negative ${JSON.stringify(i.negative_prompt)}` : ''}`,
    `  model      ${g.model} ${i.task} ${i.width}x${i.height}, ${i.steps} steps ${i.scheduler}, guidance ${i.guidance_scale}, seed ${i.seed}`,
  ];
  if (g.progress && g.status === 'running')
    lines.push(`  progress   step ${g.progress.step}/${g.progress.total}`);
  lines.push(`  created    ${g.created_at}`);
  if (g.metrics.queue_ms !== null || g.metrics.inference_ms !== null) {
    lines.push(
      `  time       queued ${seconds(g.metrics.queue_ms)}, inference ${seconds(g.metrics.inference_ms)}`,
    );
  }
  lines.push(`  usage      ${g.usage.units} units`);
  if (g.error) lines.push(`  error      ${g.error.code}: ${g.error.message}`);
  for (const [n, o] of g.outputs.entries())
    lines.push(`  output ${n + 1}   ${o.width}x${o.height} seed ${o.seed} ${o.url}`);
  return `${lines.join('\n')}\n`;
}

/** One row of `ldm list`. */
export function generationRow(g: Generation): string {
  const prompt = g.input.prompt.length > 40 ? `${g.input.prompt.slice(0, 39)}…` : g.input.prompt;
  const size = `${g.input.width}x${g.input.height}`;
  return [
    g.id.padEnd(26),
    g.status.padEnd(9),
    g.created_at.slice(0, 19).replace('T', ' '),
    size.padEnd(9),
    JSON.stringify(prompt),
  ].join('  ');
}
