// The lifter config schema moved to @lfm/format (runtimes validate a model's `lfm.config` with it).
export {
  ARCHITECTURE_KEYS,
  DEFAULT_LIFTER_CONFIG,
  type HeadKind,
  type LifterConfig,
  resolveLifterConfig,
  validateLifterConfig,
} from '@lfm/format';
