import { describe, expect, it } from 'vitest';
import { checkAgainstCatalog } from './catalog-check';

describe('model folders against the catalog', () => {
  it('serves the known folders and sets the unknown ones aside', () => {
    const check = checkAgainstCatalog(
      { 'demo-shapes': '/models/demo-shapes', 'sd15-typo': '/models/sd15-typo', sd15: '/models/sd15' },
      {
        models: [
          { name: 'demo-shapes', version: 'v1' },
          { name: 'sd15', version: 'v2' },
          { name: 'sdxl', version: 'v1' },
        ],
      },
    );
    expect(check).toEqual({
      served: { 'demo-shapes': '/models/demo-shapes', sd15: '/models/sd15' },
      unknown: { 'sd15-typo': '/models/sd15-typo' },
    });
  });

  it('serves nothing when the catalog knows none of them', () => {
    expect(checkAgainstCatalog({ a: '/m/a' }, { models: [] })).toEqual({
      served: {},
      unknown: { a: '/m/a' },
    });
  });
});
