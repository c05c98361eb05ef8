import { spawnSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { catalogProblems, deployVars } from '../scripts/deploy';
import { REPO_ROOT } from '../scripts/paths';
import { BUILTIN_MODELS } from '../src/config/models';

const model = (name: string) => ({ ...BUILTIN_MODELS[0], name, version: `${name}-v1` });
const catalog = (...names: string[]) => JSON.stringify(names.map(model));

describe('npm run deploy:edge checks the production model catalog', () => {
  it('refuses a DEFAULT_MODEL the catalog does not list', () => {
    const problems = catalogProblems({ DEFAULT_MODEL: 'demo-shapes', MODELS_JSON: catalog('sd-1-5') });
    expect(problems).toEqual([
      'DEFAULT_MODEL demo-shapes is not in MODELS_JSON (sd-1-5): requests without `model` would queue for a model no worker serves',
    ]);
  });

  it('refuses an implicit catalog (MODELS_JSON empty) and an unknown DEFAULT_MODEL', () => {
    expect(catalogProblems({ MODELS_JSON: '[]' })[0]).toMatch(/^MODELS_JSON is empty/);
    expect(catalogProblems({ DEFAULT_MODEL: 'nope', MODELS_JSON: catalog('sd-1-5') })[0]).toMatch(
      /DEFAULT_MODEL: unknown model nope/,
    );
  });

  it('accepts an explicit catalog that lists the default; a local stack may use the built-in one', () => {
    expect(catalogProblems({ DEFAULT_MODEL: 'sd-1-5', MODELS_JSON: catalog('sd-1-5', 'sd-2-1') })).toEqual(
      [],
    );
    expect(catalogProblems({ DEPLOY_MODE: 'local', MODELS_JSON: '[]' })).toEqual([]);
  });

  it('reads the vars wrangler deploy would ship; the committed wrangler.toml is refused before wrangler runs', () => {
    expect(deployVars([]).DEPLOY_MODE).toBe('production');
    const result = spawnSync(process.execPath, ['--import', 'tsx', 'edge/scripts/deploy.ts', '--dry-run'], {
      cwd: REPO_ROOT,
      encoding: 'utf8',
    });
    expect(result.status).toBe(1);
    expect(result.stderr).toContain('deploy refused (wrangler.toml [vars]):\n- MODELS_JSON is empty');
  });
});
