import type { IncomingMessage } from 'node:http';

/** A client error that maps to one HTTP status and one Upstash-style `{error}` body. */
export class BadRequest extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
  }
}

/** Reads the whole body, refusing (413) past `limit` bytes without buffering the rest. */
export function readBody(req: IncomingMessage, limit: number): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const declared = Number(req.headers['content-length']);
    if (declared > limit) {
      reject(tooLarge(limit));
      return;
    }
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size > limit) {
        req.removeAllListeners('data');
        req.pause();
        reject(tooLarge(limit));
        return;
      }
      chunks.push(chunk);
    });
    let ended = false;
    req.on('end', () => {
      ended = true;
      resolve(chunks.length === 1 ? chunks[0] : Buffer.concat(chunks, size));
    });
    req.on('error', reject);
    // A client that hangs up mid-body never sends 'end'; settle so nothing waits on it forever.
    // ('close' also follows every complete body: no error object, with its stack, for those.)
    req.on('close', () => {
      if (!ended) reject(new BadRequest(400, 'ERR request body was cut off'));
    });
  });
}

function tooLarge(limit: number): BadRequest {
  return new BadRequest(413, `ERR max request size exceeded: the body is larger than ${limit} bytes`);
}

export function parseJson(body: Buffer): unknown {
  try {
    return JSON.parse(body.toString('utf8'));
  } catch {
    throw new BadRequest(400, 'ERR request body is not valid JSON');
  }
}

/** `POST /` takes one command: a non-empty JSON array, the command name first. */
export function parseCommand(value: unknown, where = 'request body'): string[] {
  if (!Array.isArray(value) || value.length === 0) {
    throw new BadRequest(400, `ERR ${where} must be a non-empty JSON array like ["SET","key","value"]`);
  }
  const args = new Array<string>(value.length);
  for (let i = 0; i < value.length; i++) {
    const arg = value[i];
    // The client sends numbers and booleans as JSON literals; Redis wants their text.
    if (typeof arg === 'string') args[i] = arg;
    else if (typeof arg === 'number' && Number.isFinite(arg)) args[i] = String(arg);
    else if (typeof arg === 'boolean') args[i] = arg ? 'true' : 'false';
    else
      throw new BadRequest(400, `ERR ${where}: argument ${i} must be a string, a finite number or a boolean`);
  }
  if (args[0] === '') throw new BadRequest(400, `ERR ${where}: the command name is empty`);
  return args;
}

/** `/pipeline` and `/multi-exec` take a non-empty JSON array of commands. */
export function parseCommandList(value: unknown, limit: number): string[][] {
  if (!Array.isArray(value) || value.length === 0) {
    throw new BadRequest(
      400,
      'ERR request body must be a non-empty JSON array of commands like [["GET","key"]]',
    );
  }
  if (value.length > limit) {
    throw new BadRequest(400, `ERR too many commands: ${value.length} in one request, the limit is ${limit}`);
  }
  return value.map((command, i) => parseCommand(command, `command ${i}`));
}
