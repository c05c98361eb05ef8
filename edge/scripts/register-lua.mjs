// `npx tsx --import ./edge/scripts/register-lua.mjs <file.ts>`: lets a script import .lua files.
import { register } from 'node:module';

register('./lua-text-hooks.mjs', import.meta.url);
