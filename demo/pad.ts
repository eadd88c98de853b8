// The drawing pad: a canvas that takes strokes from a mouse, a pen or fingers (pointer events,
// one stroke per pointer) and gives back its ink. Its bitmap has a fixed size whatever its size on
// screen, and the pen is a fixed fraction of it wide, so a digit drawn on a phone and one drawn on
// a desktop give the preprocessing the same pixels. The ink is read from the alpha channel, so the
// pen's colour can follow the page's theme, and only from the rectangle the strokes have touched:
// reading the whole bitmap on every frame would cost a phone more time than the model's answer.

/** the bitmap's side in pixels: twice a typical on-screen size, sharp on most screens */
export const PAD_PIXELS = 560;
/** the pen's width as a fraction of the pad: a digit drawn across 70% of the pad then has
 *  strokes about 2 pixels wide once framed in 28 x 28, as MNIST's pen strokes are */
export const PEN_WIDTH = 0.075;

interface Point {
  x: number;
  y: number;
}

/** the ink of a rectangle of the pad: width x height values in [0, 1], row-major */
export interface Ink {
  values: Float32Array;
  width: number;
  height: number;
}

export class DrawingPad {
  /** called after every change of the ink */
  onChange: () => void = () => undefined;
  private readonly ctx: CanvasRenderingContext2D;
  /** the last point of each pointer that is drawing */
  private readonly pens = new Map<number, Point>();
  /** the rectangle every stroke so far lies in (x1, y1 exclusive); empty when x1 <= x0 */
  private touched = { x0: 0, y0: 0, x1: 0, y1: 0 };
  /** reused by ink(): a new 1.2 MB array per frame would cost more than filling it */
  private readonly buffer = new Float32Array(PAD_PIXELS * PAD_PIXELS);

  constructor(readonly canvas: HTMLCanvasElement) {
    canvas.width = canvas.height = PAD_PIXELS;
    const ctx = canvas.getContext('2d', { willReadFrequently: true });
    if (!ctx) throw new Error('no 2D canvas context');
    this.ctx = ctx;
    canvas.addEventListener('pointerdown', (e) => this.down(e));
    canvas.addEventListener('pointermove', (e) => this.move(e));
    for (const type of ['pointerup', 'pointercancel'] as const) canvas.addEventListener(type, (e) => this.pens.delete(e.pointerId));
  }

  /** true until something is drawn, and again after clear() */
  get empty(): boolean {
    return this.touched.x1 <= this.touched.x0;
  }

  clear(): void {
    this.ctx.clearRect(0, 0, PAD_PIXELS, PAD_PIXELS);
    this.touched = { x0: 0, y0: 0, x1: 0, y1: 0 };
    this.onChange();
  }

  /** How much ink covers each pixel of a rectangle holding all of it (the pixels around it are
   *  blank); valid until the next call. */
  ink(): Ink {
    const { x0, y0, x1, y1 } = this.touched;
    const width = Math.max(1, x1 - x0), height = Math.max(1, y1 - y0);
    const rgba = this.ctx.getImageData(x0, y0, width, height).data;
    const values = this.buffer.subarray(0, width * height);
    for (let i = 0; i < values.length; i++) values[i] = rgba[i * 4 + 3]! * (1 / 255);
    return { values, width, height };
  }

  private down(e: PointerEvent): void {
    if (e.pointerType === 'mouse' && e.button !== 0) return;
    e.preventDefault();
    // keep receiving this pointer's moves when it leaves the pad mid-stroke
    this.canvas.setPointerCapture(e.pointerId);
    const ctx = this.ctx;
    ctx.strokeStyle = getComputedStyle(this.canvas).getPropertyValue('--ink').trim() || '#000';
    ctx.lineWidth = PEN_WIDTH * PAD_PIXELS;
    ctx.lineCap = 'round';
    ctx.lineJoin = 'round';
    const p = this.at(e);
    this.pens.set(e.pointerId, p);
    this.line([p, p]); // a tap leaves a dot
  }

  private move(e: PointerEvent): void {
    const last = this.pens.get(e.pointerId);
    if (!last) return;
    e.preventDefault();
    // a fast pen moves several pixels between frames; the coalesced events hold every point
    const events = e.getCoalescedEvents?.() ?? [];
    const points = [last, ...(events.length ? events : [e]).map((c) => this.at(c))];
    this.pens.set(e.pointerId, points[points.length - 1]!);
    this.line(points);
  }

  private line(points: Point[]): void {
    const ctx = this.ctx;
    ctx.beginPath();
    ctx.moveTo(points[0]!.x, points[0]!.y);
    for (const p of points) ctx.lineTo(p.x, p.y);
    ctx.stroke();
    // a segment's ink lies within its ends' squares of the pen's half width (plus a pixel of
    // antialiasing); clamped to the bitmap, for a captured pointer may draw from outside it
    const r = (PEN_WIDTH * PAD_PIXELS) / 2 + 2, t = this.touched, first = this.empty;
    const xs = points.map((p) => p.x), ys = points.map((p) => p.y);
    const clamp = (v: number) => Math.min(PAD_PIXELS, Math.max(0, v));
    const x0 = clamp(Math.floor(Math.min(...xs) - r)), x1 = clamp(Math.ceil(Math.max(...xs) + r));
    const y0 = clamp(Math.floor(Math.min(...ys) - r)), y1 = clamp(Math.ceil(Math.max(...ys) + r));
    if (first) Object.assign(t, { x0, y0, x1, y1 });
    else Object.assign(t, { x0: Math.min(t.x0, x0), y0: Math.min(t.y0, y0), x1: Math.max(t.x1, x1), y1: Math.max(t.y1, y1) });
    this.onChange();
  }

  /** the event's position in bitmap pixels (the bitmap fills the canvas inside its border) */
  private at(e: PointerEvent): Point {
    const c = this.canvas, r = c.getBoundingClientRect();
    return {
      x: ((e.clientX - r.left - c.clientLeft) / c.clientWidth) * PAD_PIXELS,
      y: ((e.clientY - r.top - c.clientTop) / c.clientHeight) * PAD_PIXELS,
    };
  }
}
