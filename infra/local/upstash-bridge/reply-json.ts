import { RespError, RespStatus, type RespValue } from './resp-value';

/**
 * Serialises a Redis reply the way Upstash's REST API does. With `Upstash-Encoding: base64` every
 * string is base64 (the client decodes every string it gets, at any depth) except a top-level
 * "OK" status, which the client passes through as is. Without it strings are UTF-8 text, invalid
 * bytes becoming U+FFFD. Integers are written from their exact digits, so 64-bit values survive.
 */
export function replyJson(value: RespValue, base64: boolean, topLevel = true): string {
  if (value === null) return 'null';
  if (typeof value === 'number' || typeof value === 'bigint') return value.toString();
  if (Buffer.isBuffer(value)) {
    return base64 ? '"' + value.toString('base64') + '"' : JSON.stringify(value.toString('utf8'));
  }
  if (Array.isArray(value)) {
    let out = '[';
    for (let i = 0; i < value.length; i++) {
      if (i > 0) out += ',';
      out += replyJson(value[i], base64, false);
    }
    return out + ']';
  }
  // A status, or an error nested in an array (a Lua table holding {err=...}): both are strings here.
  const text = value instanceof RespStatus ? value.text : value.message;
  if (!base64) return JSON.stringify(text);
  if (topLevel && value instanceof RespStatus && value.text === 'OK') return '"OK"';
  return '"' + Buffer.from(text, 'utf8').toString('base64') + '"';
}

/** One `{result}` or `{error}` object, as `/` returns and `/pipeline` and `/multi-exec` list. */
export function entryJson(value: RespValue, base64: boolean): string {
  if (value instanceof RespError) return '{"error":' + JSON.stringify(value.message) + '}';
  return '{"result":' + replyJson(value, base64) + '}';
}
