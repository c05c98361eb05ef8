/**
 * Lua functions that build key names from the templates in keys.ts, so the webhook scripts (and
 * the snippet other scripts include) can never disagree with the TypeScript side on a name.
 */
export function luaKeyFunction(name: string, template: (id: string) => string): string {
  const marker = '\u0001';
  const [head, tail = ''] = template(marker).split(marker);
  return `local function ${name}(id) return ${luaString(head)} .. id .. ${luaString(tail)} end`;
}

export function luaString(text: string): string {
  if (/['\\\n]/.test(text)) throw new Error(`key template ${text} needs escaping`);
  return `'${text}'`;
}
