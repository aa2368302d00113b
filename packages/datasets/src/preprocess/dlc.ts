import { DataFormatError } from '@lfm/core';
import { type KeypointSequence, SequenceBuilder } from './sequence.js';

/**
 * DeepLabCut's CSV of a video's predictions (`deeplabcut.analyze_videos(..., save_as_csv=True)`,
 * `*_filtered.csv`, a multi-animal `*_el.csv`) — header rows then one row per frame:
 *
 *     scorer,DLC_resnet50_…,DLC_resnet50_…,DLC_resnet50_…,…
 *     individuals,mouse1,mouse1,mouse1,…            (multi-animal projects only)
 *     bodyparts,snout,snout,snout,leftear,…
 *     coords,x,y,likelihood,x,…
 *     0,123.4,234.5,0.99,…
 *
 * The leading index column(s) give the frame id (a labelled-data CSV has three: folder, video, image,
 * joined with '/'). Columns come in groups per (individual, body part): x, y, likelihood (predictions),
 * x, y (labels: no likelihood), or x, y, z (a 3D file, as `lfm lift --format-out csv` writes; read by
 * `readDlcTable`, refused by `parseDlcCsv`). Empty cells and NaN are missing values (pandas writes NaN
 * as an empty cell).
 *
 * The CSV is split by `parseCsv` below — a small RFC 4180 reader (quoted fields, "" escapes, CRLF, a
 * BOM) — rather than the `csv-parse` package: csv-parse's ESM build allocates Node `Buffer`s when it is
 * imported (so it cannot be in this browser-safe module without a polyfill or its separate browser
 * bundle), and installs 1.7 MB, mostly browser bundles, for what pandas' `to_csv` output needs.
 */

/** A DeepLabCut table, as read from its CSV. */
export interface DlcTable {
  readonly scorer: string;
  /** True for the multi-animal layout (an `individuals` header row). */
  readonly multiAnimal: boolean;
  /** The column groups, one per (individual, body part), in file order. */
  readonly groups: readonly DlcColumnGroup[];
  /** Per row: the frame id (the index cell; several index cells joined with '/'; a number when numeric). */
  readonly index: readonly (number | string)[];
  /** [rows, columns] the values of the data columns (after the index columns); NaN where empty. */
  readonly values: Float64Array;
  /** Data columns per row. */
  readonly columns: number;
}

export interface DlcColumnGroup {
  /** The individual (`'single'` for a multi-animal project's unique body parts); undefined single-animal. */
  readonly individual: string | undefined;
  readonly bodypart: string;
  /** The coordinates of the group's columns, e.g. ['x', 'y', 'likelihood']. */
  readonly coords: readonly string[];
  /** The group's first data column. */
  readonly column: number;
}

/** The default `minLikelihood`: DeepLabCut's own default `pcutoff`. */
export const DLC_MIN_LIKELIHOOD = 0.6;

/** True when `text` starts like a DeepLabCut CSV (first cell `scorer`). */
export function isDlcCsv(text: string): boolean {
  return /^\uFEFF?"?scorer"?\s*[,;\t]/.test(text);
}

/**
 * Splits CSV text into rows of cells (RFC 4180: `,` separators, `"` quoting with `""` escapes, LF or
 * CRLF line ends, an optional UTF-8 BOM). A final newline does not make an empty row; blank lines are
 * skipped. DataFormatError for an unterminated quote.
 */
export function parseCsv(text: string, file?: string): string[][] {
  const rows: string[][] = [];
  let row: string[] = [];
  let cell = '';
  let i = text.charCodeAt(0) === 0xfeff ? 1 : 0;
  let quoted = false;
  let line = 1;
  const endRow = () => {
    row.push(cell);
    if (!(row.length === 1 && row[0] === '')) rows.push(row);
    row = [];
    cell = '';
  };
  for (; i < text.length; i++) {
    const ch = text[i]!;
    if (quoted) {
      if (ch === '"') {
        if (text[i + 1] === '"') {
          cell += '"';
          i++;
        } else quoted = false;
      } else {
        if (ch === '\n') line++;
        cell += ch;
      }
    } else if (ch === '"' && cell === '') quoted = true;
    else if (ch === ',') {
      row.push(cell);
      cell = '';
    } else if (ch === '\n' || ch === '\r') {
      if (ch === '\r' && text[i + 1] === '\n') i++;
      endRow();
      line++;
    } else cell += ch;
  }
  if (quoted) throw new DataFormatError(`unterminated quoted field (a " opened by line ${line})`, file);
  if (cell !== '' || row.length > 0) endRow();
  return rows;
}

const COORD_SETS = [
  ['x', 'y', 'likelihood'],
  ['x', 'y', 'z'],
  ['x', 'y'],
] as const;

/**
 * Reads a DeepLabCut CSV's header rows and values. DataFormatError, naming the file, for header rows
 * other than scorer / bodyparts / coords or scorer / individuals / bodyparts / coords, coordinate
 * columns that are not x, y[, likelihood | z] per body part, a body part given twice, a row whose cell
 * count differs from the header's, and a cell that is not a number.
 */
export function readDlcTable(text: string, file?: string): DlcTable {
  const fail = (msg: string): never => {
    throw new DataFormatError(msg, file);
  };
  const rows = parseCsv(text, file);
  const label = (r: number) => (rows[r]?.[0] ?? '').trim();
  const multiAnimal = label(1) === 'individuals';
  const want = multiAnimal
    ? ['scorer', 'individuals', 'bodyparts', 'coords']
    : ['scorer', 'bodyparts', 'coords'];
  const got = want.map((_, r) => label(r));
  if (got.some((g, r) => g !== want[r])) {
    fail(
      `not a DeepLabCut predictions CSV: its header rows are ${got.map((g) => `'${g}'`).join(' / ')}; ` +
        "expected 'scorer' / 'bodyparts' / 'coords' (single animal) or 'scorer' / 'individuals' / 'bodyparts' / 'coords' (multi-animal)",
    );
  }
  const H = want.length;
  const width = rows[0]!.length;
  for (let r = 1; r < H; r++) {
    if (rows[r]!.length !== width) {
      fail(`header row '${want[r]}' has ${rows[r]!.length} cells, row 'scorer' has ${width}`);
    }
  }
  const coordRow = rows[H - 1]!.map((c) => c.trim());
  const partRow = rows[H - 2]!.map((c) => c.trim());
  const indRow = multiAnimal ? rows[1]!.map((c) => c.trim()) : undefined;
  // Index columns: those before the first coordinate (1 for predictions; 3 for labelled data).
  const nIndex = coordRow.findIndex((c, i) => i > 0 && c !== '');
  if (nIndex < 1) fail('no data columns: the coords row is empty');
  const columns = width - nIndex;
  const scorer = rows[0]![nIndex]!.trim();
  const groups: DlcColumnGroup[] = [];
  const seen = new Set<string>();
  for (let c = nIndex; c < width; ) {
    const individual = indRow?.[c];
    const bodypart = partRow[c]!;
    let e = c;
    while (
      e < width &&
      partRow[e] === bodypart &&
      indRow?.[e] === individual &&
      (e === c || coordRow[e] !== 'x')
    )
      e++;
    const coords = coordRow.slice(c, e);
    if (!COORD_SETS.some((s) => s.length === coords.length && s.every((x, k) => coords[k] === x))) {
      fail(
        `column ${c + 1} (${individual !== undefined ? `${individual} ` : ''}${bodypart || '(no body part)'}): coords ${coords.join(', ')}; ` +
          'expected x, y, likelihood per body part',
      );
    }
    if (bodypart === '') fail(`column ${c + 1}: empty body part name`);
    const key = `${individual ?? ''}\u0000${bodypart}`;
    if (seen.has(key)) {
      fail(
        `body part '${bodypart}'${individual !== undefined ? ` of ${individual}` : ''} has two column groups`,
      );
    }
    seen.add(key);
    groups.push({ individual, bodypart, coords, column: c - nIndex });
    c = e;
  }
  const data = rows.slice(H);
  const values = new Float64Array(data.length * columns);
  const index: (number | string)[] = [];
  data.forEach((row, r) => {
    const line = H + r + 1;
    if (row.length !== width) {
      fail(`line ${line} has ${row.length} cells, the header has ${width} columns (mixed row sizes)`);
    }
    const id = row
      .slice(0, nIndex)
      .map((s) => s.trim())
      .filter((s) => s !== '')
      .join('/');
    index.push(/^-?\d+(\.\d+)?$/.test(id) ? Number(id) : id === '' ? r : id);
    for (let c = 0; c < columns; c++) {
      const s = row[nIndex + c]!.trim();
      let v = Number.NaN;
      if (s !== '' && !/^(nan|NaN|NAN)$/.test(s)) {
        v = Number(s);
        if (!Number.isFinite(v)) fail(`line ${line}, column ${nIndex + c + 1}: '${s}' is not a number`);
      }
      values[r * columns + c] = v;
    }
  });
  return { scorer, multiAnimal, groups, index, values, columns };
}

export interface DlcParseOptions {
  /** A point is present iff its likelihood ≥ this (default 0.6, DeepLabCut's default pcutoff). */
  minLikelihood?: number;
  /** Named in errors. */
  file?: string;
}

/**
 * A DeepLabCut predictions CSV as a sequence: one frame per row (its id the index cell), one track per
 * individual (`track` = the individual's name; a single-animal file has one track, 0), the track's
 * points named by its body parts in column order. A point is missing where x or y is empty/NaN or its
 * likelihood is below `minLikelihood`; an individual with no point in a frame is absent from it. No
 * rig is assigned: match the body parts to one (`lfm rigs from-dlc` writes it from config.yaml) with
 * `retargetTrack`. DataFormatError as `readDlcTable`, and for a 3D (x, y, z) file.
 */
export function parseDlcCsv(text: string, options: DlcParseOptions = {}): KeypointSequence {
  const fail = (msg: string): never => {
    throw new DataFormatError(msg, options.file);
  };
  const minL = options.minLikelihood ?? DLC_MIN_LIKELIHOOD;
  if (!(minL >= 0 && minL <= 1)) fail(`minLikelihood must be in [0, 1], got ${minL}`);
  const table = readDlcTable(text, options.file);
  if (table.groups.some((g) => g.coords.includes('z'))) {
    fail('a 3D DeepLabCut CSV (coords x, y, z): lifting reads 2D predictions (x, y, likelihood)');
  }
  const byTrack = new Map<string, DlcColumnGroup[]>();
  for (const g of table.groups) {
    const k = g.individual ?? '';
    byTrack.set(k, [...(byTrack.get(k) ?? []), g]);
  }
  const b = new SequenceBuilder('dlc', fail);
  const { values, columns } = table;
  table.index.forEach((id, r) => {
    const frame = b.frame(id);
    for (const [individual, groups] of byTrack) {
      const J = groups.length;
      const xy = new Float64Array(2 * J);
      const present = new Uint8Array(J);
      const confidence = new Float64Array(J).fill(Number.NaN);
      let any = false;
      groups.forEach((g, j) => {
        const x = values[r * columns + g.column]!;
        const y = values[r * columns + g.column + 1]!;
        const l = g.coords.length === 3 ? values[r * columns + g.column + 2]! : Number.NaN;
        confidence[j] = l;
        const on = Number.isFinite(x) && Number.isFinite(y) && (g.coords.length === 2 || l >= minL);
        if (!on) return;
        xy[2 * j] = x;
        xy[2 * j + 1] = y;
        present[j] = 1;
        any = true;
      });
      if (!any) continue;
      b.add(
        frame,
        {
          track: table.multiAnimal ? individual : 0,
          xy,
          present,
          confidence,
          joints: groups.map((g) => g.bodypart),
        },
        `line ${r + (table.multiAnimal ? 5 : 4)}`,
      );
    }
  });
  return b.build();
}
