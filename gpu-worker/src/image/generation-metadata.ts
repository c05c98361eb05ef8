/** The generation parameters written into every output file (DESIGN.md decision 10). */
export interface GenerationMetadata {
  prompt: string;
  negative_prompt: string;
  seed: number;
  steps: number;
  scheduler: string;
  guidance_scale: number;
  model: string;
  width: number;
  height: number;
  task: string;
  strength?: number;
}

/**
 * The AUTOMATIC1111 "parameters" text that image viewers, civitai and most SD tools parse:
 * prompt, "Negative prompt: ...", then "Key: value" pairs.
 */
export function parametersText(m: GenerationMetadata): string {
  const pairs = [
    `Steps: ${m.steps}`,
    `Sampler: ${m.scheduler}`,
    `CFG scale: ${m.guidance_scale}`,
    `Seed: ${m.seed}`,
    `Size: ${m.width}x${m.height}`,
    `Model: ${m.model}`,
    ...(m.task === 'txt2img' ? [] : [`Task: ${m.task}`, `Denoising strength: ${m.strength}`]),
  ];
  const negative = m.negative_prompt ? `\nNegative prompt: ${m.negative_prompt}` : '';
  return `${m.prompt}${negative}\n${pairs.join(', ')}`;
}
