import { fieldError } from '../errors/api-error';

/** A page boundary: the last item's (created ms, id), opaque to clients. */
export interface ListCursor {
  score: number;
  id: string;
}

export function encodeCursor(cursor: ListCursor): string {
  return btoa(`${cursor.score}:${cursor.id}`).replaceAll('+', '-').replaceAll('/', '_').replace(/=+$/, '');
}

export function decodeCursor(text: string): ListCursor {
  let decoded = '';
  try {
    decoded = atob(text.replaceAll('-', '+').replaceAll('_', '/'));
  } catch {
    // reported below
  }
  const match = /^(\d{1,16}):(gen_[0-9A-Za-z]{1,64})$/.exec(decoded);
  if (!match) throw fieldError('cursor', 'is not a cursor this API returned (use next_cursor as is)');
  return { score: Number(match[1]), id: match[2] };
}
