// CRC-32 (IEEE 802.3, the polynomial of zip / PNG / gzip), slice-by-16: sixteen table
// lookups per 16 input bytes. Used as the checksum of dictionary files.

const TABLES = (() => {
  const t = new Int32Array(16 * 256);
  for (let i = 0; i < 256; i++) {
    let c = i;
    for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
    t[i] = c;
  }
  for (let i = 0; i < 256; i++) {
    for (let k = 1; k < 16; k++) t[k * 256 + i] = (t[(k - 1) * 256 + i] >>> 8) ^ t[t[(k - 1) * 256 + i] & 255];
  }
  return t;
})();

const LITTLE_ENDIAN = new Uint8Array(Uint32Array.of(1).buffer)[0] === 1;

/** CRC-32 of `bytes` (continuing from `crc`, the value for an earlier chunk; default start). */
export function crc32(bytes: Uint8Array, crc = 0): number {
  const T = TABLES;
  let c = ~crc;
  let i = 0;
  const n = bytes.length;
  // Bytes up to a 4-byte boundary of the underlying buffer, then 16 bytes per step.
  while (i < n && (bytes.byteOffset + i) & 3) c = T[(c ^ bytes[i++]) & 255] ^ (c >>> 8);
  if (LITTLE_ENDIAN && n - i >= 16) {
    const words = new Int32Array(bytes.buffer, bytes.byteOffset + i, (n - i) >>> 2);
    const quads = words.length >>> 2;
    for (let w = 0; w < 4 * quads; w += 4) {
      const a = words[w] ^ c;
      const b = words[w + 1];
      const d = words[w + 2];
      const e = words[w + 3];
      c = T[3840 + (a & 255)] ^ T[3584 + ((a >>> 8) & 255)] ^ T[3328 + ((a >>> 16) & 255)] ^ T[3072 + (a >>> 24)] ^
        T[2816 + (b & 255)] ^ T[2560 + ((b >>> 8) & 255)] ^ T[2304 + ((b >>> 16) & 255)] ^ T[2048 + (b >>> 24)] ^
        T[1792 + (d & 255)] ^ T[1536 + ((d >>> 8) & 255)] ^ T[1280 + ((d >>> 16) & 255)] ^ T[1024 + (d >>> 24)] ^
        T[768 + (e & 255)] ^ T[512 + ((e >>> 8) & 255)] ^ T[256 + ((e >>> 16) & 255)] ^ T[e >>> 24];
    }
    i += 16 * quads;
  }
  while (i < n) c = T[(c ^ bytes[i++]) & 255] ^ (c >>> 8);
  return ~c >>> 0;
}
