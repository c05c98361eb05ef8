import { extname } from 'node:path';

const EXTENSIONS: Record<string, string> = {
  'image/png': '.png',
  'image/webp': '.webp',
  'image/jpeg': '.jpg',
};
const FORMATS: Record<string, 'png' | 'webp' | 'jpeg'> = {
  '.png': 'png',
  '.webp': 'webp',
  '.jpg': 'jpeg',
  '.jpeg': 'jpeg',
};

/** `-o cat.webp` asks for WebP when --format is not given. */
export function formatFromPath(path: string | undefined): 'png' | 'webp' | 'jpeg' | undefined {
  return path ? FORMATS[extname(path).toLowerCase()] : undefined;
}

/**
 * Where each output goes: exactly `-o` for one image; `name-1.png`, `name-2.png`... for several.
 * Without `-o`, `<generation id>.png`. A missing extension takes the image's own.
 */
export function outputPaths(out: string | undefined, id: string, contentTypes: string[]): string[] {
  return contentTypes.map((type, i) => {
    const ext = EXTENSIONS[type] ?? '.bin';
    const given = out ?? id;
    const own = extname(given);
    const stem = own ? given.slice(0, -own.length) : given;
    const suffix = contentTypes.length > 1 ? `-${i + 1}` : '';
    return `${stem}${suffix}${own || ext}`;
  });
}
