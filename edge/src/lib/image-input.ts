import { LIMITS } from '@ldm/shared';
import { ApiError, fieldError } from '../errors/api-error';
import { type ImageType, imageSize } from './image-size';

export interface DecodedImage {
  bytes: Uint8Array;
  type: ImageType;
  contentType: string;
  width: number;
  height: number;
}

const CONTENT_TYPES: Record<ImageType, string> = { png: 'image/png', jpeg: 'image/jpeg', webp: 'image/webp' };

/** The format the bytes really are, by magic number; the declared media type is not trusted. */
export function sniffImageType(bytes: Uint8Array): ImageType | null {
  const at = (i: number, ...values: number[]) => values.every((v, k) => bytes[i + k] === v);
  if (at(0, 0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a)) return 'png';
  if (at(0, 0xff, 0xd8, 0xff)) return 'jpeg';
  if (at(0, 0x52, 0x49, 0x46, 0x46) && at(8, 0x57, 0x45, 0x42, 0x50)) return 'webp';
  return null;
}

const DATA_URL = /^data:([^;,]*)((?:;[^;,]*)*),/i;
const BASE64 = /^[A-Za-z0-9+/_-]*={0,2}$/;

type FromBase64 = (text: string, options: { alphabet: 'base64' | 'base64url' }) => Uint8Array;
/** TC39 Uint8Array.fromBase64: in workerd; Node 20 (unit tests) lacks it. */
const fromBase64 = (Uint8Array as unknown as { fromBase64?: FromBase64 }).fromBase64;

/**
 * Bytes of a base64 or base64url text. In workerd, straight into a Uint8Array: atob's way made a
 * binary string as large as the image, then the array, and both counted against the isolate's
 * 128 MB while an inpaint request decoded its two 10 MB images.
 */
function decodeBase64(payload: string): Uint8Array {
  const urlSafe = /[-_]/.test(payload);
  if (fromBase64) return fromBase64.call(Uint8Array, payload, { alphabet: urlSafe ? 'base64url' : 'base64' });
  const binary = atob(urlSafe ? payload.replaceAll('-', '+').replaceAll('_', '/') : payload);
  const bytes = new Uint8Array(binary.length);
  for (let i = 0; i < binary.length; i++) bytes[i] = binary.charCodeAt(i);
  return bytes;
}

/**
 * An input image sent as a data URL (`data:image/png;base64,...`) or bare base64: decoded, held to
 * the byte limit, and accepted only when its magic number says PNG, JPEG or WebP (and agrees with
 * the data URL's media type when one was given).
 */
export function decodeImageInput(field: string, text: string): DecodedImage {
  let payload = text;
  let declared: string | undefined;
  const dataUrl = DATA_URL.exec(text);
  if (dataUrl) {
    if (!/;base64$/i.test(dataUrl[2])) throw fieldError(field, 'data URL must be base64-encoded', 'base64');
    declared = dataUrl[1].toLowerCase() || undefined;
    payload = text.slice(dataUrl[0].length);
  } else if (text.startsWith('data:')) {
    throw fieldError(field, 'malformed data URL');
  }
  // Each copy of a 14 MB string counts against the isolate's 128 MB: copy only when needed.
  if (/\s/.test(payload)) payload = payload.replace(/\s+/g, '');
  if (!BASE64.test(payload) || payload.length % 4 === 1) {
    throw fieldError(field, 'must be a data URL or base64-encoded image');
  }
  const maxBytes = LIMITS.imageMaxBytes;
  if (Math.floor((payload.length * 3) / 4) > maxBytes + 2) {
    throw fieldError(field, `image must be at most ${maxBytes} bytes`, maxBytes);
  }
  let bytes: Uint8Array;
  try {
    bytes = decodeBase64(payload);
  } catch {
    throw fieldError(field, 'must be a data URL or base64-encoded image');
  }
  if (bytes.length > maxBytes) throw fieldError(field, `image must be at most ${maxBytes} bytes`, maxBytes);
  const type = sniffImageType(bytes);
  if (!type) throw fieldError(field, 'must be a PNG, JPEG or WebP image', 'png, jpeg, webp');
  if (declared && declared !== CONTENT_TYPES[type] && !(declared === 'image/jpg' && type === 'jpeg')) {
    throw new ApiError(
      'validation_error',
      `${field}: the data URL says ${declared} but the bytes are ${type}`,
      [
        {
          field,
          message: `declared ${declared} but the content is ${CONTENT_TYPES[type]}`,
          limit: CONTENT_TYPES[type],
        },
      ],
    );
  }
  const size = imageSize(type, bytes);
  if (!size) throw fieldError(field, `is not a readable ${type.toUpperCase()} image (no valid header)`);
  const max = LIMITS.dimensionMax * 4;
  if (size.width > max || size.height > max) {
    throw fieldError(field, `image must be at most ${max} pixels on each side`, max);
  }
  // The GPU worker decodes at most this many pixels (same shared limit): refuse here what it would.
  if (size.width * size.height > LIMITS.inputMaxPixels) {
    throw fieldError(
      field,
      `image must have at most ${LIMITS.inputMaxPixels} pixels (width x height); this one is ${size.width}x${size.height}`,
      LIMITS.inputMaxPixels,
    );
  }
  return { bytes, type, contentType: CONTENT_TYPES[type], ...size };
}
