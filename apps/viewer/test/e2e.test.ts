import { existsSync, mkdirSync, readdirSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { type Lifter, loadLifter } from '@lfm/runtime/node';
import { type Browser, chromium, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { PageState } from '../src/page-state.js';
import { buildRequest, liftOptions, readKeypointFile, resultJson } from '../src/pipeline.js';
import {
  displaySequence,
  framesAt,
  type InputFile,
  liftViewerSequence,
  readInputFiles,
  type SequenceSettings,
} from '../src/sequence.js';
import { type StaticServer, serveStatic } from './static-server.js';

/**
 * The viewer end to end, in a real headless browser: the static build (apps/viewer/dist) served on
 * localhost, Debian's chromium driven by playwright-core. Every shipped example is lifted by the page
 * (onnxruntime-web, wasm) and by @lfm/runtime/node (onnxruntime-node) from the same model file; the 3D
 * and the camera must agree to 1e-4. Malformed files must give a readable message on the page.
 * Sequences (a DeepLabCut CSV + config.yaml, an OpenPose folder's files) are played: frames stepped,
 * scrubbed and played, each frame's camera-frame 3D compared with the Node lift of the same frame.
 */

const CHROMIUM = '/usr/bin/chromium';
const HERE = dirname(fileURLToPath(import.meta.url));
const VIEWER = join(HERE, '..');
const DIST = join(VIEWER, 'dist');
const ARTIFACTS = join(VIEWER, 'test-artifacts');
const EXAMPLES = join(VIEWER, '..', '..', 'examples');
const TRACKERS = join(EXAMPLES, 'trackers');
const TOL = 1e-4;

const hasChromium = existsSync(CHROMIUM);
if (!hasChromium) {
  console.warn(
    `[viewer e2e] SKIPPED: ${CHROMIUM} not found. Install Debian's chromium (apt-get install chromium; .ci/run does) to run the browser test.`,
  );
}

const pageState = (page: Page) => page.evaluate(() => (window as unknown as { __lfm: PageState }).__lfm);

/** Runs `act`, then waits until the page has finished one more lift (or error) for `source`. */
async function settle(page: Page, source: string, act: () => Promise<unknown>): Promise<PageState> {
  const before = (await pageState(page)).runs;
  await act();
  await page.waitForFunction(
    ([n, name]) => {
      const s = (window as unknown as { __lfm?: PageState }).__lfm;
      return (
        !!s && s.runs > (n as number) && s.source === name && (s.status === 'done' || s.status === 'error')
      );
    },
    [before, source] as const,
    { timeout: 60_000 },
  );
  return pageState(page);
}

/** Largest |a − b| over two nested arrays of numbers/nulls of the same shape (Infinity if shapes differ). */
function maxAbsDiff(a: unknown, b: unknown): number {
  if (typeof a === 'number' && typeof b === 'number') return Math.abs(a - b);
  if (a === null && b === null) return 0;
  if (Array.isArray(a) && Array.isArray(b) && a.length === b.length) {
    return a.reduce((m: number, v, i) => Math.max(m, maxAbsDiff(v, b[i])), 0);
  }
  return Number.POSITIVE_INFINITY;
}

describe.skipIf(!hasChromium)('viewer (headless chromium)', () => {
  let server: StaticServer;
  let browser: Browser;
  let page: Page;
  let lifter: Lifter;
  const pageErrors: string[] = [];

  beforeAll(async () => {
    if (!existsSync(join(DIST, 'index.html'))) {
      console.warn('[viewer e2e] apps/viewer/dist is missing: building it (pnpm --filter @lfm/viewer build)');
      const { build } = await import('vite');
      await build({
        root: VIEWER,
        configFile: join(VIEWER, 'vite.config.ts'),
        mode: 'production',
        logLevel: 'warn',
      });
    }
    mkdirSync(ARTIFACTS, { recursive: true });
    server = await serveStatic(DIST);
    browser = await chromium.launch({
      executablePath: CHROMIUM,
      headless: true,
      args: [
        '--no-sandbox',
        '--disable-gpu',
        '--disable-quic',
        '--no-first-run',
        '--disable-background-networking',
        '--disable-component-update',
        '--disable-sync',
      ],
    });
    page = await browser.newPage({ viewport: { width: 1400, height: 820 } });
    page.on('pageerror', (err) => pageErrors.push(err.message));
    page.on('console', (msg) => {
      if (msg.type() === 'error') pageErrors.push(msg.text());
    });
    await page.goto(server.url);
    // The page lifts its first example on its own once the model is in.
    await page.waitForFunction(() => {
      const s = (window as unknown as { __lfm?: PageState }).__lfm;
      return !!s && (s.status === 'done' || s.status === 'error');
    });
    const state = await pageState(page);
    expect(state.error).toBeNull();
    // The node lifter loads the very model file the page fetched.
    const modelPath = join(DIST, decodeURIComponent(new URL(state.modelUrl).pathname));
    lifter = await loadLifter(readFileSync(modelPath));
  });

  afterAll(async () => {
    await lifter?.release();
    await browser?.close();
    await server?.close();
  });

  const examples = readdirSync(EXAMPLES)
    .filter((f) => f.endsWith('.json'))
    .sort();

  const sequenceExamples = readdirSync(TRACKERS, { withFileTypes: true })
    .filter((d) => d.isDirectory())
    .map((d) => `trackers/${d.name}`)
    .sort();

  it('lists the shipped examples, then the tracker sequences', async () => {
    const options = await page.$$eval('#example option', (os) =>
      os.map((o) => (o as HTMLOptionElement).value).filter(Boolean),
    );
    expect(options).toEqual([...examples, ...sequenceExamples]);
    expect(sequenceExamples).toEqual([
      'trackers/dlc-multi',
      'trackers/dlc-quadruped',
      'trackers/openpose-body25',
    ]);
  });

  it.each(examples)('lifts %s in the browser exactly as @lfm/runtime/node does (≤ 1e-4)', async (name) => {
    const state = await settle(page, name, () => page.selectOption('#example', name));
    expect(state.error).toBeNull();
    expect(state.status).toBe('done');
    expect(state.runtime).toBe('onnxruntime-web');
    const got = state.result!;

    // The same input, rig and options through @lfm/runtime/node.
    const kp = readKeypointFile(readFileSync(join(EXAMPLES, name), 'utf8'), name);
    const req = buildRequest(kp, 0, 'auto');
    expect(state.request!.points).toEqual(req.points);
    expect(state.request!.rig).toEqual(req.rig ?? null);
    const want = resultJson(await lifter.lift(req.points, liftOptions(req)));

    expect(got.mask).toEqual(want.mask);
    const d3 = maxAbsDiff(got.points3d, want.points3d);
    const dR = maxAbsDiff(got.camera!.R, want.camera!.R);
    const c = got.camera!;
    const w = want.camera!;
    // s, t and the camera-frame points are in pixels: compare relative to the scale s.
    const s = c.kind === 'ortho' && w.kind === 'ortho' ? w.s : 1;
    const dS = c.kind === 'ortho' && w.kind === 'ortho' ? Math.abs(c.s - w.s) / s : 0;
    const dT = maxAbsDiff(c.t, w.t) / s;
    const dCam = maxAbsDiff(got.pointsCamera, want.pointsCamera) / s;
    console.log(
      `[viewer e2e] ${name}: ${req.points.length} points, rig ${req.rig ?? '(none)'}; max |web − node|: ` +
        `points3d ${d3.toExponential(2)}, R ${dR.toExponential(2)}, s/s ${dS.toExponential(2)}, ` +
        `t/s ${dT.toExponential(2)}, pointsCamera/s ${dCam.toExponential(2)}`,
    );
    expect(d3).toBeLessThanOrEqual(TOL);
    expect(dR).toBeLessThanOrEqual(TOL);
    expect(dS).toBeLessThanOrEqual(TOL);
    expect(dT).toBeLessThanOrEqual(TOL);
    expect(dCam).toBeLessThanOrEqual(TOL);
    expect(await page.locator('#error').isHidden()).toBe(true);
  });

  it('switches item and rig, orbits on drag, zooms on wheel', async () => {
    await settle(page, 'coco-body.json', () => page.selectOption('#example', 'coco-body.json'));
    // The second person of the file, then manual rig overrides.
    const second = await settle(page, 'coco-body.json', () => page.selectOption('#item', '1'));
    expect(second.status).toBe('done');
    expect(second.request!.points[3]).toBeNull(); // a keypoint with v = 0
    const knn = await settle(page, 'coco-body.json', () => page.selectOption('#rig', 'none'));
    expect(knn.status).toBe('done');
    expect(knn.request!.rig).toBeNull();
    const chosen = await settle(page, 'coco-body.json', () => page.selectOption('#rig', 'coco-17'));
    expect(chosen.request!.rig).toBe('coco-17');

    const pixels = () => page.$eval('#view3d', (c) => (c as HTMLCanvasElement).toDataURL());
    const start = await pixels();
    const box = (await page.locator('#view3d').boundingBox())!;
    await page.mouse.move(box.x + box.width / 2, box.y + box.height / 2);
    await page.mouse.down();
    await page.mouse.move(box.x + box.width / 2 + 90, box.y + box.height / 2 + 25, { steps: 6 });
    await page.mouse.up();
    const orbited = await pixels();
    expect(orbited).not.toBe(start);
    await page.mouse.wheel(0, 300);
    expect(await pixels()).not.toBe(orbited);
    await page.screenshot({ path: join(ARTIFACTS, 'viewer.png') });
    expect(pageErrors).toEqual([]);
  });

  const malformed: [string, string, RegExp][] = [
    ['broken.json', '{"points": [[1, 2], [3', /broken\.json: invalid JSON/],
    ['unknown.json', '{"hello": "world"}', /unknown\.json: unrecognised keypoint JSON/],
    ['nan.json', '{"points": [[1, 2], [NaN, 3], [4, 5]]}', /nan\.json: contains a NaN coordinate/],
    [
      'two.json',
      '{"points": [[1, 2], [3, 4]]}',
      /two\.json: the input has 2 visible points; lifting needs at least 3/,
    ],
    [
      'rig.json',
      '{"rig": "coco-17", "points": [[1, 2], [3, 4], [5, 7]]}',
      /rig\.json: rig 'coco-17' has 17 joints, but the input has 3 points/,
    ],
    [
      'norig.json',
      '{"rig": "coco17", "points": [[1, 2], [3, 4], [5, 7]]}',
      /norig\.json: unknown rig 'coco17' \(did you mean 'coco-17'\?\)/,
    ],
    ['coco.json', '[{"keypoints": [1, 2, 2, 3, 4]}]', /coco\.json: .*not a multiple of 3/],
  ];

  it.each(malformed)(
    'shows a readable one-line error for a malformed file (%s)',
    async (name, body, message) => {
      const state = await settle(page, name, () =>
        page.setInputFiles('#file', { name, mimeType: 'application/json', buffer: Buffer.from(body) }),
      );
      expect(state.status).toBe('error');
      expect(state.result).toBeNull();
      const error = page.locator('#error');
      expect(await error.isVisible()).toBe(true);
      const text = (await error.textContent()) ?? '';
      expect(text).toMatch(message);
      expect(text).not.toContain('\n');
      expect(text).not.toMatch(/at .*:\d+:\d+/); // no stack trace
      if (name === 'broken.json') await page.screenshot({ path: join(ARTIFACTS, 'viewer-error.png') });
    },
  );

  it('reads a file dropped on the page', async () => {
    const body = readFileSync(join(EXAMPLES, 'hand.json'), 'utf8');
    const state = await settle(page, 'dropped-hand.json', () =>
      page.evaluate((text) => {
        const dt = new DataTransfer();
        dt.items.add(new File([text], 'dropped-hand.json', { type: 'application/json' }));
        document.body.dispatchEvent(
          new DragEvent('drop', { dataTransfer: dt, bubbles: true, cancelable: true }),
        );
      }, body),
    );
    expect(state.status).toBe('done');
    expect(state.request!.rig).toBe('hand-21');
  });

  it('scales MediaPipe landmarks by the image size given on the page', async () => {
    await settle(page, 'mediapipe-hand.json', () => page.selectOption('#example', 'mediapipe-hand.json'));
    const state = await settle(page, 'mediapipe-hand.json', async () => {
      await page.fill('#image-size', '1280x720');
      await page.dispatchEvent('#image-size', 'change');
    });
    expect(state.status).toBe('done');
    expect(state.request!.points[0]).toEqual([640, 360]); // landmark 0 is at (0.5, 0.5)
    const kp = readKeypointFile(
      readFileSync(join(EXAMPLES, 'mediapipe-hand.json'), 'utf8'),
      'mediapipe-hand.json',
      {
        imageSize: { width: 1280, height: 720 },
      },
    );
    const req = buildRequest(kp, 0, 'auto');
    const want = resultJson(await lifter.lift(req.points, liftOptions(req)));
    expect(maxAbsDiff(state.result!.points3d, want.points3d)).toBeLessThanOrEqual(TOL);
    const bad = await settle(page, 'mediapipe-hand.json', async () => {
      await page.fill('#image-size', 'big');
      await page.dispatchEvent('#image-size', 'change');
    });
    expect(bad.status).toBe('error');
    expect(bad.error).toBe("image size must be W×H in pixels, e.g. 1280x720; got 'big'");
    await page.fill('#image-size', '');
  });

  // --- sequences -------------------------------------------------------------------------------------

  const trackerFile = (dir: string, name: string): InputFile => ({
    name,
    text: readFileSync(join(TRACKERS, dir, name), 'utf8'),
  });
  const upload = (files: InputFile[]) =>
    files.map((f) => ({
      name: f.name,
      mimeType: f.name.endsWith('.csv')
        ? 'text/csv'
        : f.name.endsWith('.json')
          ? 'application/json'
          : 'text/yaml',
      buffer: Buffer.from(f.text),
    }));
  const frameIs = (f: number) =>
    page.waitForFunction((n) => (window as unknown as { __lfm: PageState }).__lfm.sequence?.frame === n, f);

  /** The page's frame f against the Node lift of the same files: 3D, cameras (pixels ÷ s), 2D. */
  async function expectFrameMatches(
    files: InputFile[],
    settings: SequenceSettings,
    f: number,
  ): Promise<void> {
    const state = await pageState(page);
    expect(state.sequence!.frame).toBe(f);
    expect(state.sequence!.smooth).toBe(settings.smooth);
    const input = readInputFiles(files);
    if (input.kind !== 'sequence') throw new Error('not a sequence');
    const lifted = await liftViewerSequence(lifter, input, settings);
    const want = framesAt(lifted, displaySequence(input, settings), f);
    const got = state.sequence!.current;
    expect(got.map((t) => [t.key, t.row])).toEqual(want.map((t) => [t.key, t.row]));
    for (const [k, w] of want.entries()) {
      const g = got[k]!;
      expect(g.flipped).toBe(w.flipped);
      expect(g.points3d.map((p) => p === null)).toEqual(w.points3d.map((p) => p === null));
      if (w.camera === null) {
        expect(g.camera).toBeNull();
        continue;
      }
      const s = w.camera.kind === 'ortho' ? w.camera.s : 1;
      const d3 = maxAbsDiff(g.points3d, w.points3d) / s;
      const dR = maxAbsDiff(g.camera!.R, w.camera.R);
      const d2 = maxAbsDiff(g.points2d, w.points2d);
      console.log(
        `[viewer e2e] sequence ${input.name}, frame ${f}, track ${w.key}${settings.smooth ? ' (smoothed)' : ''}: ` +
          `max |web − node|: points3d/s ${d3.toExponential(2)}, R ${dR.toExponential(2)}, 2D ${d2.toExponential(2)}`,
      );
      expect(d3).toBeLessThanOrEqual(TOL);
      expect(dR).toBeLessThanOrEqual(TOL);
      expect(d2).toBeLessThanOrEqual(TOL);
    }
  }

  const quadruped = () => [
    trackerFile('dlc-quadruped', 'predictions.csv'),
    trackerFile('dlc-quadruped', 'config.yaml'),
  ];

  it('plays a DeepLabCut CSV dropped with its config.yaml: stepped and scrubbed frames equal @lfm/runtime/node (≤ 1e-4)', async () => {
    const files = quadruped();
    const source = 'predictions.csv + config.yaml';
    const state = await settle(page, source, () => page.setInputFiles('#file', upload(files)));
    expect(state.error).toBeNull();
    expect(state.status).toBe('done');
    expect(state.mode).toBe('sequence');
    expect(state.sequence!.frames).toBe(6);
    expect(state.sequence!.tracks.map((t) => [t.key, t.rig, t.frames])).toEqual([['0', 'dlc-quadruped', 6]]);
    expect(await page.locator('#player').isVisible()).toBe(true);
    const off = { smooth: false, fps: 30 };
    await expectFrameMatches(files, off, 0);
    // Step with the buttons and the keyboard, then scrub.
    await page.click('#next');
    await page.click('#next');
    await frameIs(2);
    await expectFrameMatches(files, off, 2);
    await page.click('#prev');
    await frameIs(1);
    await page.keyboard.press('ArrowRight');
    await page.keyboard.press('ArrowRight');
    await frameIs(3);
    await page.$eval('#frame', (el) => {
      (el as HTMLInputElement).value = '5';
      el.dispatchEvent(new Event('input', { bubbles: true }));
    });
    await frameIs(5);
    await expectFrameMatches(files, off, 5);
    expect(await page.locator('#frame-label').textContent()).toBe('frame 6 / 6 (id 5)');
    // The camera panel shows this frame's camera of the track.
    expect(await page.locator('#camera').textContent()).toContain('track0 (frame 5)');
    // Orbit a little so the depth and the camera frustum show, and keep a picture.
    const box = (await page.locator('#view3d').boundingBox())!;
    await page.mouse.move(box.x + box.width / 2, box.y + box.height / 2);
    await page.mouse.down();
    await page.mouse.move(box.x + box.width / 2 + 70, box.y + box.height / 2 + 45, { steps: 6 });
    await page.mouse.up();
    await page.mouse.wheel(0, 500);
    await page.screenshot({ path: join(ARTIFACTS, 'viewer-sequence.png') });
    expect(pageErrors).toEqual([]);
  });

  it('plays and pauses; the frame advances and loops', async () => {
    await page.fill('#fps', '20');
    await page.dispatchEvent('#fps', 'change');
    await page.click('#play');
    expect((await pageState(page)).sequence!.playing).toBe(true);
    // From frame 5 it loops to 0 and goes on.
    await frameIs(0);
    await frameIs(2);
    await page.click('#play');
    const paused = (await pageState(page)).sequence!;
    expect(paused.playing).toBe(false);
    expect(paused.fps).toBe(20);
    await page.waitForTimeout(200);
    expect((await pageState(page)).sequence!.frame).toBe(paused.frame);
    expect(await page.locator('#play').textContent()).toBe('▶ play');
  });

  it('smoothing on relifts with the One-Euro filter and the depth-flip fix, as @lfm/runtime/node does', async () => {
    const files = quadruped();
    await page.fill('#fps', '30');
    await page.dispatchEvent('#fps', 'change');
    const frame = (await pageState(page)).sequence!.frame;
    const state = await settle(page, 'predictions.csv + config.yaml', () => page.check('#smooth'));
    expect(state.status).toBe('done');
    expect(state.sequence!.smooth).toBe(true);
    expect(state.sequence!.frame).toBe(frame); // stays on its frame
    await expectFrameMatches(files, { smooth: true, fps: 30 }, frame);
    await page.click('#next');
    await frameIs((frame + 1) % 6 === 0 ? 5 : frame + 1);
    await settle(page, 'predictions.csv + config.yaml', () => page.uncheck('#smooth'));
  });

  it('an OpenPose folder dropped as its files: two people in two colours, frame by frame as in Node', async () => {
    const names = readdirSync(join(TRACKERS, 'openpose-body25')).sort();
    const files = names.map((n) => trackerFile('openpose-body25', n));
    const source = 'video_000000000000_keypoints.json … video_000000000002_keypoints.json (3 files)';
    const state = await settle(page, source, () =>
      page.evaluate((fs) => {
        const dt = new DataTransfer();
        for (const f of fs) dt.items.add(new File([f.text], f.name, { type: 'application/json' }));
        document.body.dispatchEvent(
          new DragEvent('drop', { dataTransfer: dt, bubbles: true, cancelable: true }),
        );
      }, files),
    );
    expect(state.status).toBe('done');
    expect(state.sequence!.tracks.map((t) => [t.key, t.rig])).toEqual([
      ['0', 'openpose-body-25'],
      ['1', 'openpose-body-25'],
    ]);
    expect(new Set(state.sequence!.tracks.map((t) => t.color)).size).toBe(2);
    await expectFrameMatches(files, { smooth: false, fps: 30 }, 0);
    await page.click('#next');
    await frameIs(1);
    await expectFrameMatches(files, { smooth: false, fps: 30 }, 1);
    expect(await page.locator('#item-name').textContent()).toBe('Track');
    await page.screenshot({ path: join(ARTIFACTS, 'viewer-sequence-openpose.png') });
  });

  it('opens a tracker sequence from the examples menu, and a multi-animal CSV keeps an absent animal out of its frame', async () => {
    const state = await settle(page, 'trackers/dlc-multi', () =>
      page.selectOption('#example', 'trackers/dlc-multi'),
    );
    expect(state.status).toBe('done');
    expect(state.sequence!.tracks.map((t) => [t.key, t.frames])).toEqual([
      ['animal1', 4],
      ['animal2', 3],
      ['single', 4],
    ]);
    await page.$eval('#frame', (el) => {
      (el as HTMLInputElement).value = '3';
      el.dispatchEvent(new Event('input', { bubbles: true }));
    });
    await frameIs(3);
    const files = ['config.yaml', 'predictions.csv'].map((n) => trackerFile('dlc-multi', n));
    await expectFrameMatches(files, { smooth: false, fps: 30 }, 3);
    expect((await pageState(page)).sequence!.current[1]!.row).toBe(-1);
    // A single file again: back to the per-item view.
    const single = await settle(page, 'hand.json', () => page.selectOption('#example', 'hand.json'));
    expect(single.mode).toBe('single');
    expect(single.sequence).toBeNull();
    expect(await page.locator('#player').isHidden()).toBe(true);
  });

  it('a sequence that cannot be read gets a one-line message', async () => {
    const yaml = trackerFile('dlc-quadruped', 'config.yaml');
    const state = await settle(page, 'config.yaml', () => page.setInputFiles('#file', upload([yaml])));
    expect(state.status).toBe('error');
    expect(state.error).toMatch(
      /config\.yaml: a config\.yaml alone has no keypoints: drop it together with the predictions CSV/,
    );
    expect(await page.locator('#player').isHidden()).toBe(true);
  });

  it('recovers from an error with the next good input', async () => {
    const state = await settle(page, 'hand.json', () => page.selectOption('#example', 'hand.json'));
    expect(state.status).toBe('done');
    expect(await page.locator('#error').isHidden()).toBe(true);
  });
});
