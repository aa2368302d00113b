// The READMEs' code runs: every TypeScript/JavaScript block of README.md, packages/*/README.md and
// apps/*/README.md is a file of examples/code (named on the block's first line) shown verbatim, and
// every such file runs; the root README's `pnpm lfm …` lines that need neither a training run nor
// ../shared/data run too. The examples import the BUILT packages (examples/code is a workspace member
// with workspace dependencies), as a user's script would: `pnpm build` first (`pnpm test` does).
import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const codeDir = join(root, 'examples', 'code');
const CODE_LANGS = new Set(['ts', 'js', 'typescript', 'javascript', 'mjs', 'tsx', 'jsx']);
/** The first line of every example: how to run it. */
const HEADER = /^\/\/ node (examples\/code\/[\w.-]+\.mjs) /;

interface Block {
  readonly lang: string;
  readonly body: string;
  /** 1-based line of the opening fence. */
  readonly line: number;
}

/** The fenced code blocks of a Markdown text (``` fences at the start of a line). */
function fencedBlocks(markdown: string): Block[] {
  const lines = markdown.split('\n');
  const out: Block[] = [];
  for (let i = 0; i < lines.length; i++) {
    const open = /^```\s*([\w-]*)\s*$/.exec(lines[i]!);
    if (!open) continue;
    const start = i;
    const body: string[] = [];
    for (i++; i < lines.length && !/^```\s*$/.test(lines[i]!); i++) body.push(lines[i]!);
    out.push({ lang: open[1]!.toLowerCase(), body: body.map((l) => `${l}\n`).join(''), line: start + 1 });
  }
  return out;
}

function readmes(): string[] {
  const out = ['README.md'];
  for (const group of ['packages', 'apps']) {
    for (const name of readdirSync(join(root, group)).sort()) {
      const rel = join(group, name, 'README.md');
      if (existsSync(join(root, rel))) out.push(rel);
    }
  }
  return out;
}

function run(file: string, args: readonly string[]) {
  const r = spawnSync(file, args, {
    cwd: root,
    env: { ...process.env, CI: 'true', LFM_DEBUG: '' },
    encoding: 'utf8',
    maxBuffer: 64 * 1024 * 1024,
    timeout: 120_000,
  });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

/** The examples and the CLI run the packages' dist/: a clear failure when they were not built. */
function expectBuilt(): void {
  const bin = join(root, 'apps', 'cli', 'dist', 'bin.js');
  expect(existsSync(bin), 'the packages are not built: run `pnpm build` first').toBe(true);
}

describe('README code blocks are the files of examples/code, verbatim', () => {
  const shown = new Set<string>();
  for (const readme of readmes()) {
    const blocks = fencedBlocks(readFileSync(join(root, readme), 'utf8')).filter((b) =>
      CODE_LANGS.has(b.lang),
    );
    for (const b of blocks) {
      const header = HEADER.exec(b.body);
      if (header) shown.add(header[1]!);
      it(`${readme}:${b.line}`, () => {
        expect(header, `the block must start with "// node examples/code/NAME.mjs …"`).not.toBeNull();
        const file = join(root, header![1]!);
        expect(existsSync(file), `${header![1]} is missing`).toBe(true);
        expect(b.body, `${readme}:${b.line} differs from ${header![1]}: copy the file into the README`).toBe(
          readFileSync(file, 'utf8'),
        );
      });
    }
  }
  it('every example is shown by a README', () => {
    const files = readdirSync(codeDir)
      .filter((f) => f.endsWith('.mjs'))
      .map((f) => `examples/code/${f}`);
    expect(files.filter((f) => !shown.has(f))).toEqual([]);
  });
});

/** What each example prints (beyond exiting 0). */
const PRINTS: Record<string, RegExp> = {
  'lift.mjs': /kind: 'ortho'[\s\S]*rmse: \d/,
  'runtime.mjs': /\[ 17, 11 \]/,
  'metrics.mjs': /^0\.0\d+ Float64Array\(1\)/,
  'batches.mjs': /^64 72 Int32Array\(8\)/,
  'model.mjs': /^\[ 1, 4, 3 \]$/m,
  'rig.mjs': /^1\n[\s\S]*^true\nFloat32Array\(4\) \[ 0, 0, 2, 3 \]$/m,
  'train.mjs': /^20 0\.\d+ runs\/examples\/train\/last\.ckpt$/m,
  'tfjs-backend.mjs': /^(tensorflow|wasm|cpu) (tensorflow|wasm|cpu)$/m,
};

describe('the examples run (node examples/code/NAME.mjs from the repository root)', () => {
  afterAll(() => rmSync(join(root, 'runs', 'examples'), { recursive: true, force: true }));
  const files = readdirSync(codeDir)
    .filter((f) => f.endsWith('.mjs'))
    .sort();
  for (const f of files) {
    it(f, () => {
      expectBuilt();
      const r = run(process.execPath, [join('examples', 'code', f)]);
      expect(r.code, `${f} failed:\n${r.stderr}`).toBe(0);
      expect(r.stdout).toMatch(PRINTS[f] ?? /./);
    });
  }
});

describe("the root README's `pnpm lfm` lines run", () => {
  const readme = readFileSync(join(root, 'README.md'), 'utf8');
  const section = readme.slice(readme.indexOf('## Use it'));
  const block = fencedBlocks(section).find((b) => b.lang === 'sh');
  const lines = (block?.body ?? '')
    .split('\n')
    .map((l) => l.replace(/\s+#.*$/, '').trim())
    .filter((l) => l.startsWith('pnpm lfm '));
  // Training, benchmarks, their checkpoints (runs/) and the real corpus are too slow or not here.
  const quick = lines.filter((l) => {
    const args = l.split(/\s+/).slice(2);
    return (
      !['train', 'bench'].includes(args[0]!) &&
      !args.some((a) => a.includes('../shared') || a.startsWith('runs/'))
    );
  });
  // `pnpm lfm` is the root package's script.
  const script = (
    JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as { scripts: { lfm: string } }
  ).scripts.lfm;

  it('the block has quick lines: lifts, an eval on the shipped demo data, rigs list', () => {
    expect(script).toBe('node apps/cli/dist/bin.js');
    expect(quick.filter((l) => l.startsWith('pnpm lfm lift ')).length).toBeGreaterThanOrEqual(2);
    expect(
      quick.some((l) => /^pnpm lfm eval --data data\/demo-shapes --model models\/lfm\.onnx/.test(l)),
    ).toBe(true);
    expect(quick).toContain('pnpm lfm rigs list');
  });
  for (const line of quick) {
    it(line, () => {
      expectBuilt();
      const args = line.split(/\s+/).slice(2);
      const r = run(process.execPath, [join(root, 'apps', 'cli', 'dist', 'bin.js'), ...args]);
      expect(r.code, r.stderr).toBe(0);
      expect(r.stdout.length).toBeGreaterThan(0);
      if (args[0] === 'lift') {
        const out = JSON.parse(r.stdout) as { points3d: unknown[] } | { points3d: unknown[] }[];
        for (const o of Array.isArray(out) ? out : [out]) expect(o.points3d.length).toBeGreaterThan(0);
      }
      if (args.includes('--json')) {
        const report = JSON.parse(r.stdout) as { datasets: { samples: number }[] };
        expect(report.datasets.length).toBeGreaterThan(0);
        for (const d of report.datasets) expect(d.samples).toBeGreaterThan(0);
      }
    });
  }
});
