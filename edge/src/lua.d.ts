// Lua scripts are bundled as text (wrangler.toml [[rules]], esbuild loader, vitest plugin).
declare module '*.lua' {
  const source: string;
  export default source;
}
