// A labelled picture grid (rows = prompts, columns = sampler settings) written with sharp.
// Cells are upscaled with nearest-neighbour so the 64x64 pixels stay visible as they are.
import sharp from 'sharp';

export interface GridInput {
  rowLabels: string[];
  columnLabels: string[];
  /** cells[row][column]: packed RGB, size x size. */
  cells: Uint8Array[][];
  size: number;
  scale?: number;
}

const LABEL_WIDTH = 440;
const HEADER_HEIGHT = 28;
const GAP = 4;

function escapeXml(text: string): string {
  return text.replace(/[<>&"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

function label(text: string, width: number, height: number, anchor: 'start' | 'middle'): Buffer {
  const x = anchor === 'start' ? 6 : width / 2;
  const svg =
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}">` +
    `<text x="${x}" y="${height / 2 + 5}" text-anchor="${anchor}" font-family="DejaVu Sans, sans-serif" ` +
    `font-size="13" fill="#222">${escapeXml(text)}</text></svg>`;
  return Buffer.from(svg);
}

export async function gridPng(input: GridInput): Promise<Buffer> {
  const scale = input.scale ?? 2;
  const cell = input.size * scale;
  const columns = input.columnLabels.length;
  const width = LABEL_WIDTH + columns * (cell + GAP) + GAP;
  const height = HEADER_HEIGHT + input.rowLabels.length * (cell + GAP) + GAP;
  const layers: sharp.OverlayOptions[] = [];
  input.columnLabels.forEach((text, c) => {
    layers.push({
      input: label(text, cell + GAP, HEADER_HEIGHT, 'middle'),
      left: LABEL_WIDTH + c * (cell + GAP),
      top: 0,
    });
  });
  for (let r = 0; r < input.rowLabels.length; r++) {
    const top = HEADER_HEIGHT + r * (cell + GAP);
    layers.push({ input: label(input.rowLabels[r], LABEL_WIDTH, cell, 'start'), left: 0, top });
    for (let c = 0; c < columns; c++) {
      const pixels = await sharp(Buffer.from(input.cells[r][c]), {
        raw: { width: input.size, height: input.size, channels: 3 },
      })
        .resize(cell, cell, { kernel: 'nearest' })
        .png()
        .toBuffer();
      layers.push({ input: pixels, left: LABEL_WIDTH + GAP + c * (cell + GAP), top });
    }
  }
  return sharp({ create: { width, height, channels: 3, background: '#ffffff' } })
    .composite(layers)
    .png()
    .toBuffer();
}
