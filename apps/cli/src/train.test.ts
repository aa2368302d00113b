import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadModelCheckpoint } from '@lfm/trainer';
import { afterAll, afterEach, describe, expect, it, vi } from 'vitest';
import { binPath, demoData, repoRoot, runCli } from './test-support/cli.js';

// Training runs that outlive a session (issue 16): a session's end sends SIGTERM, the run writes its
// checkpoint at the current step and exits 0; `--resume` continues it; `--status` says where it stands.

const dir = mkdtempSync(join(tmpdir(), 'lfm-cli-train-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
afterEach(() => {
  vi.restoreAllMocks();
});

/** A tiny run on one demo dataset that would take far longer than the test (it is stopped). */
const longRun = (out: string, ...extra: string[]) => [
  'train',
  '--data',
  join(demoData, 'demo-hand'),
  '--out',
  out,
  '--steps',
  '1000000',
  '--batch',
  '4',
  '--d-model',
  '16',
  '--layers',
  '1',
  '--heads',
  '2',
  '--threads',
  '1',
  '--val-interval',
  '0',
  '--checkpoint-interval',
  '0',
  '--log-interval',
  '1',
  '--progress',
  'lines',
  ...extra,
];

const metricSteps = (out: string) =>
  readFileSync(join(out, 'metrics.jsonl'), 'utf8')
    .trim()
    .split('\n')
    .map((l) => (JSON.parse(l) as { step: number }).step);

const STOPPED =
  /^lfm: stopped by (SIGTERM|SIGINT) at step (\d+): checkpoint (\S+); resume with lfm train --config (\S+) --resume$/m;

/** Resolves once `cond()` holds (polled), or rejects after `ms`. */
async function until(cond: () => boolean, ms: number, what: string): Promise<void> {
  const end = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

describe('lfm train: stopped by a signal, resumed', () => {
  it('SIGTERM to the real binary: last.ckpt at the current step, exit 0, the resume command; --resume continues from it', async () => {
    expect(existsSync(binPath), 'run `pnpm build` first').toBe(true);
    const out = join(dir, 'sigterm');
    const child = spawn(process.execPath, [binPath, ...longRun(out, '--checkpoint-minutes', '0.5')], {
      cwd: repoRoot,
      env: { ...process.env, LFM_DEBUG: '' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => (stdout += d));
    child.stderr.on('data', (d) => (stderr += d));
    const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
      child.on('close', (code, signal) => resolve({ code, signal })),
    );
    try {
      await until(() => /^step \d+\/1000000 /m.test(stdout), 120_000, 'the first progress line');
      child.kill('SIGTERM');
      const { code, signal } = await exited;
      expect({ code, signal }, stderr).toEqual({ code: 0, signal: null });
    } finally {
      child.kill('SIGKILL');
    }
    const m = STOPPED.exec(stderr);
    expect(m, stderr).not.toBeNull();
    const [, by, stepText, ckptPath, configPath] = m!;
    const step = Number(stepText);
    expect(by).toBe('SIGTERM');
    expect(ckptPath).toBe(join(out, 'last.ckpt'));
    expect(configPath).toBe(join(out, 'config.json'));
    expect(stderr).toMatch(/^lfm: SIGTERM: stopping after the current step/m);
    expect(stderr.split('\n').filter((l) => l !== '')).toHaveLength(2); // the two notes, no error
    expect(stdout).toMatch(new RegExp(`^stopped at step ${step}: `, 'm'));
    const ckpt = await loadModelCheckpoint(ckptPath!);
    expect(ckpt.optimizer!.step).toBe(step);
    expect(ckpt.metadata).toMatchObject({ step, samples: 4 * step });
    expect(step).toBeGreaterThanOrEqual(1);
    expect(metricSteps(out).at(-1)).toBe(step); // the log reached the checkpoint, no further
    expect(JSON.parse(readFileSync(configPath!, 'utf8'))).toMatchObject({ checkpointMinutes: 0.5 });

    // The printed command resumes it (here with fewer steps, so that it ends).
    const r = await runCli(['train', '--config', configPath!, '--resume', '--steps', String(step + 2)]);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toMatch(new RegExp(`^resuming at step ${step}$`, 'm'));
    expect(r.stdout).toMatch(new RegExp(`^done at step ${step + 2}: `, 'm'));
    const steps = metricSteps(out);
    expect(steps).toEqual(Array.from({ length: step + 2 }, (_, i) => i + 1)); // appended, no gap or repeat
    expect((await loadModelCheckpoint(ckptPath!)).optimizer!.step).toBe(step + 2);
  }, 300_000);

  /** Starts `lfm train` in-process and returns its signal handlers once it is training. */
  async function startInProcess(out: string) {
    const before = {
      SIGTERM: process.listeners('SIGTERM'),
      SIGINT: process.listeners('SIGINT'),
    };
    const run = runCli(longRun(out));
    await until(
      () => existsSync(join(out, 'metrics.jsonl')) && readFileSync(join(out, 'metrics.jsonl'), 'utf8') !== '',
      120_000,
      'the first metrics line',
    );
    const added = (name: 'SIGTERM' | 'SIGINT') =>
      process.listeners(name).filter((l) => !before[name].includes(l)) as (() => void)[];
    expect(added('SIGTERM')).toHaveLength(1);
    expect(added('SIGINT')).toHaveLength(1);
    return { run, term: added('SIGTERM')[0]!, int: added('SIGINT')[0]! };
  }

  it('a second signal exits at once (128 + its number); SIGINT stops with exit 130; the handlers are removed after', async () => {
    const exit = vi.spyOn(process, 'exit').mockImplementation((() => undefined) as never);
    const termOut = join(dir, 'twice');
    mkdirSync(termOut, { recursive: true });
    const a = await startInProcess(termOut);
    a.term();
    expect(exit).not.toHaveBeenCalled();
    a.term();
    expect(exit).toHaveBeenCalledWith(143);
    const r = await a.run; // (exit is mocked: the run still ends cleanly)
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).toMatch(STOPPED);

    exit.mockClear();
    const intOut = join(dir, 'sigint');
    const b = await startInProcess(intOut);
    b.int();
    const r2 = await b.run;
    expect(exit).not.toHaveBeenCalled();
    expect(r2.code, r2.stderr).toBe(130);
    const m = STOPPED.exec(r2.stderr);
    expect(m?.[1], r2.stderr).toBe('SIGINT');
    expect((await loadModelCheckpoint(join(intOut, 'last.ckpt'))).optimizer!.step).toBe(Number(m![2]));
    const ours = (name: 'SIGTERM' | 'SIGINT') =>
      process.listeners(name).filter((l) => l === b.term || l === b.int);
    expect([...ours('SIGTERM'), ...ours('SIGINT')]).toEqual([]);
  }, 300_000);
});

describe('lfm train --status', () => {
  const out = join(dir, 'status');

  it('prints where a run stands: steps, checkpoint, best validation, last metrics, finished, the resume command', async () => {
    const trained = await runCli([
      ...longRun(out),
      '--steps',
      '6',
      '--val-interval',
      '3',
      '--checkpoint-interval',
      '4',
    ]);
    expect(trained.code, trained.stderr).toBe(0);
    const full = await runCli(['train', '--status', out, '--json']);
    expect(full.code, full.stderr).toBe(0);
    const s = JSON.parse(full.stdout);
    expect(s).toMatchObject({
      dir: out,
      steps: 6,
      finished: true,
      checkpoint: {
        path: join(out, 'last.ckpt'),
        step: 6,
        samples: 24,
        savedAt: expect.stringMatching(/^\d{4}-\d\d-\d\dT/),
        trainSec: expect.any(Number),
        engine: 'graph-onnxruntime',
      },
      best: { nPaMpjpe: expect.any(Number), step: expect.any(Number), source: 'best.ckpt' },
      last: { step: 6, loss: expect.any(Number), samplesPerSec: expect.any(Number) },
      resume: `lfm train --config ${join(out, 'config.json')} --resume`,
    });
    expect([3, 6]).toContain(s.best.step);
    const text = await runCli(['train', '--status', out]);
    expect(text.code, text.stderr).toBe(0);
    expect(text.stderr).toBe('');
    expect(text.stdout).toMatch(/^steps: +6$/m);
    expect(text.stdout).toMatch(
      /^checkpoint: +step 6 of 6, 24 samples, saved \S+ \(.* ago\), .* of training, graph-onnxruntime: /m,
    );
    expect(text.stdout).toMatch(/^best val: +nPA-MPJPE \S+ at step [36] \(best\.ckpt\)$/m);
    expect(text.stdout).toMatch(/^last log: +step 6: loss \S+, \S+ samples\/s$/m);
    expect(text.stdout).toMatch(/^finished: +yes$/m);

    // An unfinished run (config.json asks for more steps): not finished, the command to resume it.
    const more = join(dir, 'status-more');
    const stopped = await runCli([...longRun(more), '--steps', '3', '--checkpoint-interval', '2']);
    expect(stopped.code, stopped.stderr).toBe(0);
    const cfg = join(more, 'config.json');
    const raw = JSON.parse(readFileSync(cfg, 'utf8'));
    writeFileSync(cfg, JSON.stringify({ ...raw, steps: 10 }));
    const u = await runCli(['train', '--status', more]);
    expect(u.code, u.stderr).toBe(0);
    expect(u.stdout).toMatch(/^best val: +none yet$/m);
    expect(u.stdout).toMatch(/^finished: +no \(7 steps to go\)$/m);
    expect(u.stdout).toMatch(new RegExp(`^resume: +lfm train --config ${cfg} --resume$`, 'm'));
    // With no RUN_DIR: --out's folder.
    const bare = await runCli(['train', '--out', more, '--status', '--json']);
    expect(JSON.parse(bare.stdout)).toMatchObject({ steps: 10, finished: false, checkpoint: { step: 3 } });
  }, 300_000);

  it('a folder without a run, or no folder: one line, exit 1; --json alone is a usage error', async () => {
    const empty = join(dir, 'empty');
    mkdirSync(empty, { recursive: true });
    for (const [d, pattern] of [
      [empty, /not a training run \(no config\.json, last\.ckpt or metrics\.jsonl\)/],
      [join(dir, 'missing'), /no such folder/],
    ] as const) {
      const r = await runCli(['train', '--status', d]);
      expect(r.code).toBe(1);
      expect(r.stdout).toBe('');
      expect(r.stderr.trim().split('\n')).toHaveLength(1);
      expect(r.stderr).toMatch(/^lfm: error: /);
      expect(r.stderr).toMatch(pattern);
    }
    const usage = await runCli(['train', '--json']);
    expect(usage.code).toBe(2);
    expect(usage.stderr).toMatch(/--json goes with --status/);
  });

  it('--help documents --status, --json, --checkpoint-minutes and the signals', async () => {
    const r = await runCli(['train', '--help']);
    expect(r.code).toBe(0);
    for (const s of ['--status [RUN_DIR]', '--json', '--checkpoint-minutes M', 'SIGTERM', 'SIGINT']) {
      expect(r.stdout).toContain(s);
    }
  });
});
