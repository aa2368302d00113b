// The lfm.* metadata contract moved to @lfm/format (the spec package every runtime reads it from).
export {
  type JointCodeTableData,
  LIFTER_FORMAT,
  LIFTER_FORMAT_VERSION,
  LIFTER_METADATA_KEYS,
  LifterFormatError,
  type LifterIo,
  type LifterModelInfo,
  type LifterPreprocessContract,
  type LifterTensorSpec,
  parseLifterMetadata,
} from '@lfm/format';
