#!/usr/bin/env node
// The `ldm` CLI. The SDK is TypeScript run as is (no build step in this workspace), so this
// registers tsx's loader and imports the entry point.
import { register } from 'tsx/esm/api';

register();
await import('../src/cli/main.ts');
