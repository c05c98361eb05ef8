import type * as ort from 'onnxruntime-node';
import { ModelFolderError } from './model-folder-error';

export interface TensorInfo {
  name: string;
  type: string;
  /** Fixed sizes as numbers, symbolic ones ("batch") as strings; [] for a 0-d tensor. */
  shape: ReadonlyArray<number | string>;
}

/** Reads names, element types and shapes from the session itself, never from assumptions. */
export function tensorInfo(
  session: ort.InferenceSession,
  kind: 'input' | 'output',
  name: string,
  file: string,
): TensorInfo {
  const list = kind === 'input' ? session.inputMetadata : session.outputMetadata;
  const meta = list.find((m) => m.name === name);
  if (!meta) {
    const names = list.map((m) => m.name).join(', ');
    throw new ModelFolderError(file, `has no ${kind} named "${name}" (it has: ${names})`);
  }
  if (!meta.isTensor) throw new ModelFolderError(file, `${kind} "${name}" is not a tensor`);
  return { name, type: meta.type, shape: meta.shape };
}

/** First name in `preferred` that the session has, else its first output. */
export function pickOutput(session: ort.InferenceSession, preferred: string[]): string {
  return preferred.find((n) => session.outputNames.includes(n)) ?? session.outputNames[0];
}

/** A fixed size for dimension `axis`, or undefined when symbolic. */
export function fixedDim(info: TensorInfo, axis: number): number | undefined {
  const d = info.shape[axis];
  return typeof d === 'number' && d > 0 ? d : undefined;
}
