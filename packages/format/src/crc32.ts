let table: Uint32Array | undefined;

/**
 * CRC-32 (IEEE 802.3, as zlib/PNG) of `bytes`. Written here (a 256-entry table, 10 lines) rather than
 * taken from a library: Node's zlib.crc32 is Node ≥ 22 only and not in browsers, and this package
 * has no runtime dependencies besides @lfm/core and valibot.
 */
export function crc32(bytes: Uint8Array): number {
  if (!table) {
    table = new Uint32Array(256);
    for (let n = 0; n < 256; n++) {
      let c = n;
      for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
      table[n] = c >>> 0;
    }
  }
  let c = 0xffffffff;
  for (let i = 0; i < bytes.length; i++) c = table[(c ^ bytes[i]!) & 0xff]! ^ (c >>> 8);
  return (c ^ 0xffffffff) >>> 0;
}
