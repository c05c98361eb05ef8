/** One dispatched server-sent event. */
export interface SseEvent {
  /** `message` when the server sent no `event:` field. */
  event: string;
  data: string;
  /** The last event id seen so far on this stream (it carries over, as in the spec). */
  id: string;
  /** The reconnection time (ms) the server last asked for with `retry:`, if it did. */
  retry?: number;
}

/**
 * The event-stream interpretation of the HTML standard (9.2.6), fed text in arbitrary chunks:
 * lines end in CRLF, LF or CR (a CR at the end of one chunk and an LF at the start of the next
 * are one line end), `:` starts a comment, a blank line dispatches, an event without data is
 * dropped, and an unfinished event at the end of the stream is discarded.
 */
export class SseParser {
  private pending = '';
  private skipLeadingLf = false;
  private started = false;
  private eventType = '';
  private data: string[] = [];
  private lastEventId = '';
  private retry: number | undefined;

  feed(text: string): SseEvent[] {
    let chunk = text;
    if (!this.started && chunk.length > 0) {
      this.started = true;
      if (chunk.charCodeAt(0) === 0xfeff) chunk = chunk.slice(1);
    }
    if (this.skipLeadingLf && chunk.startsWith('\n')) chunk = chunk.slice(1);
    this.skipLeadingLf = false;
    const events: SseEvent[] = [];
    let buffer = this.pending + chunk;
    for (;;) {
      const end = buffer.search(/[\r\n]/);
      if (end < 0) break;
      const line = buffer.slice(0, end);
      let next = end + 1;
      if (buffer[end] === '\r') {
        if (end + 1 < buffer.length) {
          if (buffer[end + 1] === '\n') next = end + 2;
        } else {
          this.skipLeadingLf = true;
        }
      }
      buffer = buffer.slice(next);
      const event = this.line(line);
      if (event) events.push(event);
    }
    this.pending = buffer;
    return events;
  }

  private line(line: string): SseEvent | undefined {
    if (line === '') return this.dispatch();
    if (line.startsWith(':')) return undefined;
    const colon = line.indexOf(':');
    const field = colon < 0 ? line : line.slice(0, colon);
    let value = colon < 0 ? '' : line.slice(colon + 1);
    if (value.startsWith(' ')) value = value.slice(1);
    switch (field) {
      case 'event':
        this.eventType = value;
        break;
      case 'data':
        this.data.push(value);
        break;
      case 'id':
        if (!value.includes('\0')) this.lastEventId = value;
        break;
      case 'retry':
        if (/^\d+$/.test(value)) this.retry = Number(value);
        break;
      default:
      // Unknown fields are ignored, as the standard says.
    }
    return undefined;
  }

  private dispatch(): SseEvent | undefined {
    const data = this.data;
    const eventType = this.eventType;
    const retry = this.retry;
    this.data = [];
    this.eventType = '';
    if (data.length === 0) return undefined;
    return {
      event: eventType || 'message',
      data: data.join('\n'),
      id: this.lastEventId,
      ...(retry === undefined ? {} : { retry }),
    };
  }
}

/** Reads a response body as server-sent events until it ends or the signal aborts. */
export async function* readSse(
  body: ReadableStream<Uint8Array>,
  signal?: AbortSignal,
): AsyncGenerator<SseEvent> {
  const reader = body.getReader();
  const decoder = new TextDecoder();
  const parser = new SseParser();
  const cancel = () => void reader.cancel(signal?.reason).catch(() => {});
  signal?.addEventListener('abort', cancel, { once: true });
  try {
    for (;;) {
      const { done, value } = await reader.read();
      if (signal?.aborted) throw signal.reason;
      if (done) break;
      yield* parser.feed(decoder.decode(value, { stream: true }));
    }
    parser.feed(decoder.decode());
  } finally {
    signal?.removeEventListener('abort', cancel);
    reader.releaseLock?.();
    await body.cancel().catch(() => {});
  }
}
