// Checksummed records for Storage: a node seals each record before writing it and
// opens it when reading back, so a record torn by a crash is detected and dropped.
// Student code may import this module (like harness/types.ts).

const CRC_TABLE: Uint32Array = (() => {
  const table = new Uint32Array(256);
  for (let n = 0; n < 256; n++) {
    let c = n;
    for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
    table[n] = c >>> 0;
  }
  return table;
})();

/** CRC-32 (IEEE) of a string's UTF-16 code units (each unit fed as two bytes). */
export function crc32(text: string): number {
  let crc = 0xffffffff;
  for (let i = 0; i < text.length; i++) {
    const unit = text.charCodeAt(i);
    crc = CRC_TABLE[(crc ^ unit) & 0xff] ^ (crc >>> 8);
    crc = CRC_TABLE[(crc ^ (unit >>> 8)) & 0xff] ^ (crc >>> 8);
  }
  return (crc ^ 0xffffffff) >>> 0;
}

const HEX_DIGITS = 8;

/** Frames a payload as "<crc hex><payload>" so that a torn or altered record fails to open. */
export function sealRecord(payload: string): string {
  return crc32(payload).toString(16).padStart(HEX_DIGITS, "0") + payload;
}

/** The payload of a sealed record, or null if the record is torn or corrupt. */
export function openRecord(record: string): string | null {
  if (record.length < HEX_DIGITS) return null;
  const expected = Number.parseInt(record.slice(0, HEX_DIGITS), 16);
  const payload = record.slice(HEX_DIGITS);
  return crc32(payload) === expected ? payload : null;
}

/**
 * Opens every record of a file and stops at the first bad one: a crash can only
 * tear the tail, so everything from the first bad record on is not trusted.
 * Returns the good payloads and how many records were dropped.
 */
export function openRecords(records: readonly string[]): { payloads: string[]; dropped: number } {
  const payloads: string[] = [];
  for (const record of records) {
    const payload = openRecord(record);
    if (payload === null) break;
    payloads.push(payload);
  }
  return { payloads, dropped: records.length - payloads.length };
}
