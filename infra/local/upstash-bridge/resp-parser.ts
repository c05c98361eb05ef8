import { OK, QUEUED, RespError, RespStatus, type RespValue } from './resp-value';

const CR = 13;
const PLUS = 43; // +
const MINUS = 45; // -
const COLON = 58; // :
const DOLLAR = 36; // $
const STAR = 42; // *

interface ArrayFrame {
  items: RespValue[];
  remaining: number;
}

/**
 * Incremental RESP2 reply parser. It resumes where a chunk ended instead of re-reading the whole
 * reply, so a large array or bulk string arriving in many TCP chunks costs O(n), and it waits for
 * the full byte count of a large bulk string before copying it once.
 */
export class RespParser {
  private tail: Buffer | null = null;
  private bulkChunks: Buffer[] = [];
  private bulkNeeded = 0;
  private bulkHave = 0;
  private readonly stack: ArrayFrame[] = [];

  constructor(private readonly onReply: (value: RespValue) => void) {}

  feed(chunk: Buffer): void {
    let buf: Buffer;
    if (this.bulkNeeded > 0) {
      this.bulkChunks.push(chunk);
      this.bulkHave += chunk.length;
      if (this.bulkHave < this.bulkNeeded) return;
      buf = Buffer.concat(this.bulkChunks, this.bulkHave);
      this.bulkChunks = [];
      this.bulkNeeded = 0;
      this.bulkHave = 0;
    } else if (this.tail !== null) {
      buf = Buffer.concat([this.tail, chunk]);
      this.tail = null;
    } else {
      buf = chunk;
    }

    const length = buf.length;
    let pos = 0;
    while (pos < length) {
      const lineEnd = buf.indexOf(CR, pos + 1);
      if (lineEnd === -1 || lineEnd + 1 >= length) break;
      const type = buf[pos];
      let value: RespValue;
      if (type === DOLLAR) {
        const size = parseSize(buf, pos + 1, lineEnd);
        if (size < 0) {
          value = null;
          pos = lineEnd + 2;
        } else {
          const start = lineEnd + 2;
          const end = start + size;
          if (end + 2 > length) {
            // Park the whole frame and only wake up once every byte of it has arrived.
            this.bulkChunks = [buf.subarray(pos)];
            this.bulkHave = length - pos;
            this.bulkNeeded = end + 2 - pos;
            return;
          }
          value = buf.subarray(start, end);
          pos = end + 2;
        }
      } else if (type === STAR) {
        const count = parseSize(buf, pos + 1, lineEnd);
        pos = lineEnd + 2;
        if (count > 0) {
          this.stack.push({ items: [], remaining: count });
          continue;
        }
        value = count < 0 ? null : [];
      } else if (type === COLON) {
        value = parseInteger(buf, pos + 1, lineEnd);
        pos = lineEnd + 2;
      } else if (type === PLUS) {
        value = parseStatus(buf, pos + 1, lineEnd);
        pos = lineEnd + 2;
      } else if (type === MINUS) {
        value = new RespError(buf.toString('utf8', pos + 1, lineEnd));
        pos = lineEnd + 2;
      } else {
        throw new Error(`RESP protocol error: unexpected type byte ${type} at offset ${pos}`);
      }
      this.emit(value);
    }
    if (pos < length) this.tail = buf.subarray(pos);
  }

  /** True when no reply is half-read, so the connection's byte stream is at a reply boundary. */
  get idle(): boolean {
    return this.tail === null && this.bulkNeeded === 0 && this.stack.length === 0;
  }

  private emit(value: RespValue): void {
    let current = value;
    for (;;) {
      const top = this.stack[this.stack.length - 1];
      if (top === undefined) {
        this.onReply(current);
        return;
      }
      top.items.push(current);
      if (--top.remaining > 0) return;
      this.stack.pop();
      current = top.items;
    }
  }
}

function parseStatus(buf: Buffer, start: number, end: number): RespStatus {
  // The two statuses seen on nearly every request are shared instead of allocated.
  if (end - start === 2 && buf[start] === 79 && buf[start + 1] === 75) return OK;
  const text = buf.toString('latin1', start, end);
  return text === 'QUEUED' ? QUEUED : new RespStatus(buf.toString('utf8', start, end));
}

/** Length headers are small non-negative numbers or -1; read them without making a string. */
function parseSize(buf: Buffer, start: number, end: number): number {
  if (buf[start] === MINUS) return -1;
  let n = 0;
  for (let i = start; i < end; i++) n = n * 10 + (buf[i] - 48);
  return n;
}

/** Integers are exact 64-bit values; past 2^53 they become bigint so JSON keeps every digit. */
function parseInteger(buf: Buffer, start: number, end: number): number | bigint {
  if (end - start <= 15) {
    const negative = buf[start] === MINUS;
    let n = 0;
    for (let i = negative ? start + 1 : start; i < end; i++) n = n * 10 + (buf[i] - 48);
    return negative ? -n : n;
  }
  const big = BigInt(buf.toString('latin1', start, end));
  return big >= BigInt(Number.MIN_SAFE_INTEGER) && big <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(big) : big;
}
