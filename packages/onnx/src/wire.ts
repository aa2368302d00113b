// Moved to @lfm/format.
export {
  decodeUtf8,
  fixed32ToFloat,
  fixed64ToFloat,
  type Int64,
  ProtoReader,
  ProtoWriter,
  type RawField,
  WireType,
} from '@lfm/format';
