import {
  detectRig,
  type Edge,
  type KeypointParseOptions,
  type Keypoints2D,
  keypointItemPoints,
  parseKeypointJson,
} from '@lfm/datasets/preprocess';
import { listRigs, type Rig } from '@lfm/rig';
import { registerBuiltinRigs } from '@lfm/rigs';
import { type LiftOptions, type LiftResult, resolveRig, ShapeError } from '@lfm/runtime';

/**
 * The page's data path, free of DOM and of any inference engine, so that the end-to-end test lifts
 * exactly what the page lifts: keypoint file text → one item's points + rig/bones → `lift` options.
 * Parsing is @lfm/datasets/preprocess's, rig lookup @lfm/rig's registry (built-in rigs registered).
 */

registerBuiltinRigs();

/** The rig selector: `auto` (file / detection, as `lfm lift`), `none` (kNN graph) or a rig id. */
export type RigChoice = 'auto' | 'none' | (string & {});

/** Where the graph of a lift comes from. */
export type GraphSource =
  | { kind: 'rig'; rig: string; from: 'file' | 'detected' | 'chosen' }
  | { kind: 'bones'; from: 'file' }
  | { kind: 'knn' };

/** One item of a keypoint file, ready to lift. */
export interface LiftRequest {
  /** [N] input points in file units (pixels; MediaPipe without an image size: [0, 1]); null = missing. */
  readonly points: ([number, number] | null)[];
  /** Rig id passed to `lift` (bones for the local attention; joint count checked). */
  readonly rig?: string;
  /** Explicit bones passed to `lift` (override the rig's). */
  readonly bones?: readonly Edge[];
  /** The bones the lift uses (rig's or explicit), for drawing; [] for the kNN graph. */
  readonly drawBones: readonly (readonly [number, number])[];
  readonly graph: GraphSource;
}

/** What the page and the test read a keypoint file with. */
export function readKeypointFile(
  text: string,
  name: string,
  options: KeypointParseOptions = {},
): Keypoints2D {
  return parseKeypointJson(text, { ...options, file: name });
}

/** Item b's points as `[x, y] | null`, in its own length (as `lfm lift` reads them). */
export const itemPoints = keypointItemPoints;

/** The rig `auto` picks for item b: the file's rig, else (no bones in the file) its layout's rig — as `lfm lift`. */
export { detectRig };

/** Registered rigs with `count` joints (the manual choices for an item of `count` points). */
export function rigsWithJoints(count: number): Rig[] {
  return listRigs()
    .filter((r) => r.numJoints === count)
    .sort((a, b) => a.id.localeCompare(b.id));
}

/**
 * The lift request for item b under a rig choice. An unknown or mis-sized rig throws the runtime's
 * own error (UnknownRigError, ShapeError), as `lift` would.
 */
export function buildRequest(kp: Keypoints2D, b: number, choice: RigChoice = 'auto'): LiftRequest {
  const points = itemPoints(kp, b);
  const item = kp.items[b]!;
  const withRig = (id: string, from: 'file' | 'detected' | 'chosen', bones?: readonly Edge[]) => {
    const rig = resolveRig(id);
    if (rig.numJoints !== points.length) {
      // The runtime's check (and words), before any model call.
      throw new ShapeError(
        `rig '${rig.id}' has ${rig.numJoints} joints, but the input has ${points.length} points`,
      );
    }
    return {
      points,
      rig: rig.id,
      ...(bones && { bones }),
      drawBones: bones ?? rig.boneIndices,
      graph: bones ? ({ kind: 'bones', from: 'file' } as const) : { kind: 'rig' as const, rig: rig.id, from },
    };
  };
  if (choice === 'none') return { points, drawBones: [], graph: { kind: 'knn' } };
  if (choice !== 'auto') return withRig(choice, 'chosen');
  const rig = detectRig(kp, b);
  if (rig !== undefined) return withRig(rig, item.rig !== undefined ? 'file' : 'detected', item.bones);
  if (item.bones && item.bones.length > 0) {
    return { points, bones: item.bones, drawBones: item.bones, graph: { kind: 'bones', from: 'file' } };
  }
  return { points, drawBones: [], graph: { kind: 'knn' } };
}

/** The options the page passes to `lift` (the orthographic camera, so points in its frame come back too). */
export function liftOptions(req: LiftRequest): LiftOptions {
  return {
    ...(req.rig !== undefined && { rig: req.rig }),
    ...(req.bones !== undefined && { bones: req.bones }),
    camera: { kind: 'ortho' },
  };
}

/** A lift result as plain JSON (what the page exposes as `window.__lfm.result`). */
export interface LiftResultJson {
  readonly points3d: ([number, number, number] | null)[];
  readonly pointsCamera: ([number, number, number] | null)[] | null;
  readonly mask: boolean[];
  readonly camera: LiftResult['camera'];
}

export function resultJson(r: LiftResult): LiftResultJson {
  return {
    points3d: r.points3d.map((p) => (p ? [p[0], p[1], p[2]] : null)),
    pointsCamera: r.pointsCamera ? r.pointsCamera.map((p) => (p ? [p[0], p[1], p[2]] : null)) : null,
    mask: [...r.mask],
    camera: r.camera,
  };
}

/** One readable line for any error: LFM errors carry their own message; others get their name. */
export function errorLine(err: unknown): string {
  if (err instanceof Error) {
    const code = (err as { code?: unknown }).code;
    if (code === 'E_UNKNOWN_RIG') {
      // The registry's message also tells developers how to register rigs; the page needs less.
      const { rigId, suggestions } = err as Error & { rigId?: string; suggestions?: readonly string[] };
      const hint = suggestions?.length ? ` (did you mean '${suggestions[0]}'?)` : '';
      return `unknown rig '${rigId}'${hint}; choose one in the Rig menu`;
    }
    const msg = (err.message || err.name).split('\n')[0]!.trim();
    return typeof code === 'string' && code.startsWith('E_') ? msg : `${err.name}: ${msg}`;
  }
  return String(err).split('\n')[0]!;
}

/** A short description of a graph source, for the page. */
export function describeGraph(g: GraphSource): string {
  if (g.kind === 'knn') return 'no rig: k-nearest-neighbour graph of the points';
  if (g.kind === 'bones') return 'bones from the file';
  return g.from === 'file'
    ? `${g.rig} (named in the file)`
    : g.from === 'detected'
      ? `${g.rig} (detected)`
      : g.rig;
}
