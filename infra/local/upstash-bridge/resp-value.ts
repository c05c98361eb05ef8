/**
 * The values a RESP2 reply can carry, kept close to the wire so nothing is lost on the way to JSON:
 * bulk strings stay Buffers (binary-safe), integers stay exact (bigint past 2^53), and status and
 * error replies keep their own types because Upstash encodes them differently from bulk strings.
 */
export type RespValue = Buffer | number | bigint | null | RespStatus | RespError | RespValue[];

/** A `+...` simple-string reply such as OK, PONG or QUEUED. */
export class RespStatus {
  constructor(readonly text: string) {}
}

/** A `-...` error reply; the message keeps Redis's prefix (ERR, WRONGTYPE, NOSCRIPT, ...). */
export class RespError {
  constructor(readonly message: string) {}
}

/** One command: the name first, then its arguments, as text or raw bytes. */
export type RedisArg = string | Buffer;
export type RedisCommand = readonly RedisArg[];

export const OK = new RespStatus('OK');
export const QUEUED = new RespStatus('QUEUED');
