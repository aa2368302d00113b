/** The page's elements and canvas helpers. */

export const $ = <T extends HTMLElement>(id: string): T => {
  const el = document.getElementById(id);
  if (!el) throw new Error(`the page has no #${id}`);
  return el as T;
};

export const ui = {
  example: $<HTMLSelectElement>('example'),
  file: $<HTMLInputElement>('file'),
  item: $<HTMLSelectElement>('item'),
  itemLabel: $<HTMLLabelElement>('item-label'),
  itemName: $<HTMLSpanElement>('item-name'),
  rig: $<HTMLSelectElement>('rig'),
  imageSize: $<HTMLInputElement>('image-size'),
  imageSizeLabel: $<HTMLLabelElement>('image-size-label'),
  error: $<HTMLDivElement>('error'),
  status: $<HTMLSpanElement>('status'),
  view2d: $<HTMLCanvasElement>('view2d'),
  view3d: $<HTMLCanvasElement>('view3d'),
  info2d: $<HTMLParagraphElement>('info2d'),
  camera: $<HTMLDivElement>('camera'),
  rigInfo: $<HTMLParagraphElement>('rig-info'),
  showCamera: $<HTMLInputElement>('show-camera'),
  fromCamera: $<HTMLButtonElement>('from-camera'),
  save: $<HTMLButtonElement>('save'),
  modelInfo: $<HTMLSpanElement>('model-info'),
  player: $<HTMLDivElement>('player'),
  play: $<HTMLButtonElement>('play'),
  prev: $<HTMLButtonElement>('prev'),
  next: $<HTMLButtonElement>('next'),
  frame: $<HTMLInputElement>('frame'),
  frameLabel: $<HTMLSpanElement>('frame-label'),
  smooth: $<HTMLInputElement>('smooth'),
  fps: $<HTMLInputElement>('fps'),
};

export const dpr = () => window.devicePixelRatio || 1;

export function sizeCanvas(c: HTMLCanvasElement): { ctx: CanvasRenderingContext2D; w: number; h: number } {
  const r = dpr();
  const w = Math.max(1, Math.round(c.clientWidth * r));
  const h = Math.max(1, Math.round(c.clientHeight * r));
  if (c.width !== w || c.height !== h) {
    c.width = w;
    c.height = h;
  }
  return { ctx: c.getContext('2d')!, w, h };
}

export function placeholder(c: HTMLCanvasElement, words: string): void {
  const { ctx, w, h } = sizeCanvas(c);
  ctx.fillStyle = '#10141c';
  ctx.fillRect(0, 0, w, h);
  ctx.fillStyle = 'rgba(200, 205, 215, 0.55)';
  ctx.font = `${13 * dpr()}px system-ui, sans-serif`;
  ctx.textAlign = 'center';
  ctx.fillText(words, w / 2, h / 2);
  ctx.textAlign = 'start';
}

/** Offers `body` as a download named `name` (a JSON file). */
export function downloadJson(name: string, body: string): void {
  const a = document.createElement('a');
  a.href = URL.createObjectURL(new Blob([body], { type: 'application/json' }));
  a.download = name;
  a.click();
  setTimeout(() => URL.revokeObjectURL(a.href), 1000);
}
