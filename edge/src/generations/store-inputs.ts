import type { DecodedImage } from '../lib/image-input';

/** Where a validated input image is kept for the worker: `inputs/{account}/{job}/{name}.{ext}`. */
export const inputKey = (accountId: string, jobId: string, name: 'image' | 'mask', image: DecodedImage) =>
  `inputs/${accountId}/${jobId}/${name}.${image.type}`;

/** Puts the request's images in R2 before the job exists, so a leased job always finds them. */
export async function storeInputs(
  bucket: R2Bucket,
  accountId: string,
  jobId: string,
  images: { image?: DecodedImage; mask?: DecodedImage },
): Promise<{ image_key?: string; mask_key?: string }> {
  const out: { image_key?: string; mask_key?: string } = {};
  for (const name of ['image', 'mask'] as const) {
    const image = images[name];
    if (!image) continue;
    const key = inputKey(accountId, jobId, name, image);
    await bucket.put(key, image.bytes, { httpMetadata: { contentType: image.contentType } });
    out[`${name}_key`] = key;
  }
  return out;
}
