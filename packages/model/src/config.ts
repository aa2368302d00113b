// The lifter config schema lives in @lfm/format (runtimes validate a model's `lfm.config` with it);
// this is its one re-export under @lfm/model's old names.
export {
  ARCHITECTURE_KEYS,
  DEFAULT_LIFTER_CONFIG,
  type HeadKind,
  type LifterConfig,
  resolveLifterConfig,
  validateLifterConfig,
} from '@lfm/format';
