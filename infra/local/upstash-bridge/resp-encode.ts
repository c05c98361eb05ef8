import type { RedisCommand } from './resp-value';

/**
 * Encodes commands as RESP2 multi-bulk requests, ready for one socket write. All-text batches (the
 * usual case: arguments come from JSON) stay one string that the socket encodes once; a Buffer
 * argument switches to a byte concat so arbitrary bytes pass through untouched.
 */
export function encodeCommands(commands: readonly RedisCommand[]): string | Buffer {
  let text = '';
  let parts: Buffer[] | null = null;
  for (const command of commands) {
    text += '*' + command.length + '\r\n';
    for (const arg of command) {
      if (typeof arg === 'string') {
        text += '$' + Buffer.byteLength(arg, 'utf8') + '\r\n' + arg + '\r\n';
      } else {
        parts ??= [];
        parts.push(Buffer.from(text + '$' + arg.length + '\r\n', 'utf8'), arg);
        text = '\r\n';
      }
    }
  }
  if (parts === null) return text;
  parts.push(Buffer.from(text, 'utf8'));
  return Buffer.concat(parts);
}
