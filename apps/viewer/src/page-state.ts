import type { LiftRequest, LiftResultJson, RigChoice } from './pipeline.js';
import type { TrackFrame } from './sequence.js';

export type Status = 'loading' | 'ready' | 'lifting' | 'done' | 'error';

/** The sequence player's state (`window.__lfm.sequence`). */
export interface SequenceState {
  /** Frames of the sequence. */
  frames: number;
  /** The frame shown (index into the sequence's frames) and its source id. */
  frame: number;
  frameId: number | string;
  playing: boolean;
  /** One-Euro smoothing + the depth-flip fix on. */
  smooth: boolean;
  /** Playback rate, and the filter's clock. */
  fps: number;
  tracks: { key: string; rig: string | null; color: string; frames: number; flipped: number }[];
  /** Every track at the frame shown: 2D, camera-frame 3D (orthographic), camera. */
  current: TrackFrame[];
  notes: readonly string[];
}

/** What the page exposes for tests and the console as `window.__lfm`. */
export interface PageState {
  status: Status;
  /** One keypoint file (items, one lifted at a time) or a sequence (every frame lifted, played). */
  mode: 'single' | 'sequence';
  /** File name of the current input (an example's or a dropped file's). */
  source: string | null;
  item: number;
  rig: RigChoice;
  /** What was lifted: points and the rig/bones passed to `lift`. */
  request: { points: LiftRequest['points']; rig: string | null; bones: LiftRequest['bones'] | null } | null;
  result: LiftResultJson | null;
  error: string | null;
  modelUrl: string;
  runtime: string | null;
  liftMs: number | null;
  /** Increments on every finished lift or error (tests wait for it to change). */
  runs: number;
  /** The sequence player, in sequence mode. */
  sequence: SequenceState | null;
}
