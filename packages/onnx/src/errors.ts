export { OnnxFormatError } from '@lfm/format';
