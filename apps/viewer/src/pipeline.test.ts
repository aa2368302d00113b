import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import {
  buildRequest,
  detectRig,
  errorLine,
  itemPoints,
  liftOptions,
  readKeypointFile,
  rigsWithJoints,
} from './pipeline.js';

const EXAMPLES = join(import.meta.dirname, '..', '..', '..', 'examples');
const example = (name: string) => readKeypointFile(readFileSync(join(EXAMPLES, name), 'utf8'), name);

describe('viewer pipeline', () => {
  it('reads every shipped example and detects its rig as `lfm lift` does', () => {
    const rigs: Record<string, (string | undefined)[]> = {};
    for (const f of readdirSync(EXAMPLES).filter((f) => f.endsWith('.json'))) {
      const kp = example(f);
      rigs[f] = kp.items.map((_, b) => detectRig(kp, b));
    }
    expect(rigs['coco-body.json']).toEqual(['coco-17', 'coco-17']);
    expect(rigs['face.json']).toEqual(['ibug-face-68']);
    expect(rigs['hand.json']).toEqual(['hand-21']);
    expect(rigs['mediapipe-hand.json']).toEqual(['hand-21']);
    expect(rigs['no-rig.json']!.every((r) => r === undefined)).toBe(true);
  });

  it('builds the lift request: points, rig, bones and the options passed to lift', () => {
    const kp = example('coco-body.json');
    const auto = buildRequest(kp, 1, 'auto');
    expect(auto.points).toEqual(itemPoints(kp, 1));
    expect(auto.points[3]).toBeNull(); // v = 0 in the file
    expect(auto.rig).toBe('coco-17');
    expect(auto.graph).toEqual({ kind: 'rig', rig: 'coco-17', from: 'detected' });
    expect(auto.drawBones.length).toBeGreaterThan(10);
    expect(liftOptions(auto)).toEqual({ rig: 'coco-17', camera: { kind: 'ortho' } });

    const knn = buildRequest(kp, 0, 'none');
    expect(knn.rig).toBeUndefined();
    expect(knn.drawBones).toEqual([]);
    expect(liftOptions(knn)).toEqual({ camera: { kind: 'ortho' } });

    const noRig = buildRequest(example('no-rig.json'), 0);
    expect(noRig.graph).toEqual({ kind: 'knn' });
  });

  it('uses bones given in the file', () => {
    const kp = readKeypointFile(
      '{"points": [[0, 0], [1, 0], [0, 1], [1, 1]], "bones": [[0, 1], [1, 3]]}',
      'b.json',
    );
    const req = buildRequest(kp, 0);
    expect(req.bones).toEqual([
      [0, 1],
      [1, 3],
    ]);
    expect(req.graph).toEqual({ kind: 'bones', from: 'file' });
    expect(liftOptions(req).bones).toEqual(req.bones);
  });

  it('offers the registered rigs of the right size', () => {
    const ids = rigsWithJoints(17).map((r) => r.id);
    expect(ids).toContain('coco-17');
    expect(ids).toContain('h36m-17');
    expect(ids).not.toContain('hand-21');
  });

  it('turns bad files and bad rigs into one readable line', () => {
    const line = (f: () => unknown) => {
      try {
        f();
      } catch (err) {
        return errorLine(err);
      }
      return 'no error';
    };
    expect(line(() => readKeypointFile('{"points": [[1, 2', 'x.json'))).toMatch(/^x\.json: invalid JSON/);
    expect(line(() => readKeypointFile('[]', 'e.json'))).toBe('e.json: empty keypoint list');
    expect(line(() => readKeypointFile('{"a": 1}', 'a.json'))).toMatch(
      /^a\.json: unrecognised keypoint JSON/,
    );
    const kp = readKeypointFile('{"points": [[0, 0], [1, 0], [0, 1]]}', 'p.json');
    expect(line(() => buildRequest(kp, 0, 'coco-17'))).toBe(
      "rig 'coco-17' has 17 joints, but the input has 3 points",
    );
    expect(line(() => buildRequest(kp, 0, 'coco17'))).toBe(
      "unknown rig 'coco17' (did you mean 'coco-17'?); choose one in the Rig menu",
    );
    expect(errorLine(new TypeError('x is undefined\n    at f (a.js:1:2)'))).toBe('TypeError: x is undefined');
  });
});
