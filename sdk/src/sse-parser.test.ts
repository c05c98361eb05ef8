import { describe, expect, it } from 'vitest';
import { readSse, type SseEvent, SseParser } from './sse-parser';

const STREAM =
  '\uFEFF: hello\r\n' +
  'event: status\r\ndata: {"status":"running"}\r\nid: 1\r\n\r\n' +
  'event: progress\ndata: {"step":1,\ndata: "total":4}\nid: 2\n\n' +
  'data:no space\rretry: 2500\r\r' +
  'event: ignored-without-data\nid: 3\n\n' +
  'data\n\n' +
  'event: status\ndata: unfinished';

const EXPECTED: SseEvent[] = [
  { event: 'status', data: '{"status":"running"}', id: '1' },
  { event: 'progress', data: '{"step":1,\n"total":4}', id: '2' },
  { event: 'message', data: 'no space', id: '2', retry: 2500 },
  { event: 'message', data: '', id: '3', retry: 2500 },
];

describe('SseParser', () => {
  it('interprets a stream with every line ending, comments, multi-line data, ids and retry', () => {
    expect(new SseParser().feed(STREAM)).toEqual(EXPECTED);
  });

  it('gives the same events however the text is split, including CR|LF across chunks', () => {
    for (let cut = 0; cut <= STREAM.length; cut++) {
      const parser = new SseParser();
      const events = [...parser.feed(STREAM.slice(0, cut)), ...parser.feed(STREAM.slice(cut))];
      expect(events, `split at ${cut}`).toEqual(EXPECTED);
    }
    const parser = new SseParser();
    const oneByOne = [...STREAM].flatMap((ch) => parser.feed(ch));
    expect(oneByOne).toEqual(EXPECTED);
  });

  it('treats a lone CR then LF in the next chunk as one line end, not a blank line', () => {
    const parser = new SseParser();
    expect(parser.feed('data: a\r')).toEqual([]);
    expect(parser.feed('\ndata: b\n')).toEqual([]);
    expect(parser.feed('\n')).toEqual([{ event: 'message', data: 'a\nb', id: '' }]);
  });

  it('ignores an id containing NUL and keeps the previous one', () => {
    const events = new SseParser().feed('id: 7\ndata: x\n\nid: bad\0id\ndata: y\n\n');
    expect(events.map((e) => e.id)).toEqual(['7', '7']);
  });
});

describe('readSse', () => {
  it('decodes UTF-8 split inside a character across network chunks', async () => {
    const bytes = new TextEncoder().encode('data: caf\u00e9 \u{1F600}\n\n');
    const body = new ReadableStream<Uint8Array>({
      start(controller) {
        for (const byte of bytes) controller.enqueue(new Uint8Array([byte]));
        controller.close();
      },
    });
    const events: SseEvent[] = [];
    for await (const event of readSse(body)) events.push(event);
    expect(events).toEqual([{ event: 'message', data: 'caf\u00e9 \u{1F600}', id: '' }]);
  });

  it('stops with the abort reason when the signal aborts mid-stream', async () => {
    const controller = new AbortController();
    const body = new ReadableStream<Uint8Array>({
      start(c) {
        c.enqueue(new TextEncoder().encode('data: first\n\n'));
      },
    });
    const seen: string[] = [];
    const reading = (async () => {
      for await (const event of readSse(body, controller.signal)) {
        seen.push(event.data);
        controller.abort(new Error('stop'));
      }
    })();
    await expect(reading).rejects.toThrow('stop');
    expect(seen).toEqual(['first']);
  });
});
