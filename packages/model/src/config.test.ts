import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import * as format from '@lfm/format';
import { describe, expect, it } from 'vitest';
import * as model from './index.js';

describe('the lifter config under its old @lfm/model names', () => {
  it("is @lfm/format's (the same objects, not copies)", () => {
    expect(model.resolveLifterConfig).toBe(format.resolveLifterConfig);
    expect(model.validateLifterConfig).toBe(format.validateLifterConfig);
    expect(model.DEFAULT_LIFTER_CONFIG).toBe(format.DEFAULT_LIFTER_CONFIG);
    expect(model.ARCHITECTURE_KEYS).toBe(format.ARCHITECTURE_KEYS);
    expect(model.ConfigError).toBe(format.ConfigError);
    expect(model.CHECKPOINT_MAGIC).toBe(format.CHECKPOINT_MAGIC);
    expect(() => model.resolveLifterConfig({ dModel: 0 })).toThrow(format.ConfigError);
  });
});

describe('package boundaries', () => {
  // The ONNX recorder traces the very same functions, and the main entries must bundle for browsers.
  const roots = ['encoding', 'attention', 'model'].map((p) =>
    join(dirname(fileURLToPath(import.meta.url)), '..', '..', p, 'src'),
  );
  const sources = roots.flatMap((root) =>
    readdirSync(root, { recursive: true })
      .map(String)
      .filter((f) => f.endsWith('.ts') && !f.endsWith('.test.ts') && !f.startsWith('test-support'))
      .map((f) => ({ file: join(root, f), text: readFileSync(join(root, f), 'utf8') })),
  );

  it('model code imports no tfjs and no node: module (file I/O lives in @lfm/model/node only)', () => {
    expect(sources.length).toBeGreaterThan(8);
    for (const { file, text } of sources) {
      const imports = [...text.matchAll(/from\s+'([^']+)'/g)].map((m) => m[1]!);
      expect(
        imports.filter((i) => i.includes('tensorflow') || i.includes('/tfjs')),
        file,
      ).toEqual([]);
      if (!file.endsWith(join('model', 'src', 'node.ts'))) {
        expect(
          imports.filter((i) => i.startsWith('node:')),
          file,
        ).toEqual([]);
      }
      expect(
        imports.filter((i) => !i.startsWith('.') && !i.startsWith('@lfm/') && !i.startsWith('node:')),
        file,
      ).toEqual([]);
    }
  });
});
