import { describe, expect, it } from 'vitest';
import { encodeCommands } from './resp-encode';
import { RespParser } from './resp-parser';
import { RespError, RespStatus, type RespValue } from './resp-value';

function parseInChunks(wire: Buffer, chunkSize: number): RespValue[] {
  const replies: RespValue[] = [];
  const parser = new RespParser((reply) => replies.push(reply));
  for (let i = 0; i < wire.length; i += chunkSize) parser.feed(wire.subarray(i, i + chunkSize));
  expect(parser.idle).toBe(true);
  return replies;
}

const big = Buffer.alloc(20_000, 0xab);
const wire = Buffer.concat([
  Buffer.from('+OK\r\n-WRONGTYPE bad kind\r\n:42\r\n:-7\r\n:9223372036854775807\r\n$-1\r\n*-1\r\n*0\r\n'),
  Buffer.from('$0\r\n\r\n$5\r\nh\r\nl0\r\n'),
  Buffer.from('*3\r\n*2\r\n$1\r\na\r\n:1\r\n$-1\r\n*1\r\n+QUEUED\r\n'),
  Buffer.from(`$${big.length}\r\n`),
  big,
  Buffer.from('\r\n+PONG\r\n'),
]);
const expected: RespValue[] = [
  new RespStatus('OK'),
  new RespError('WRONGTYPE bad kind'),
  42,
  -7,
  9223372036854775807n,
  null,
  null,
  [],
  Buffer.alloc(0),
  Buffer.from('h\r\nl0'),
  [[Buffer.from('a'), 1], null, [new RespStatus('QUEUED')]],
  big,
  new RespStatus('PONG'),
];

describe('RespParser', () => {
  it.each([1, 2, 3, 7, 64, 4096, wire.length])(
    'parses the same replies when fed %i bytes at a time',
    (size) => {
      expect(parseInChunks(wire, size)).toEqual(expected);
    },
  );

  it('rejects bytes that are not RESP', () => {
    const parser = new RespParser(() => {});
    expect(() => parser.feed(Buffer.from('HTTP/1.1 400\r\n'))).toThrow(/RESP protocol error/);
  });
});

describe('encodeCommands', () => {
  it('counts UTF-8 bytes, not characters, and keeps binary arguments intact', () => {
    const bytes = Buffer.from([0, 255, 13, 10]);
    const encoded = encodeCommands([
      ['SET', 'é🎉', bytes],
      ['GET', 'x'],
    ]);
    expect(Buffer.from(encoded)).toEqual(
      Buffer.concat([
        Buffer.from('*3\r\n$3\r\nSET\r\n$6\r\né🎉\r\n$4\r\n'),
        bytes,
        Buffer.from('\r\n*2\r\n$3\r\nGET\r\n$1\r\nx\r\n'),
      ]),
    );
  });
});
