// The touch-up editor of one result: an erase and a restore brush over the cut-out, undo and
// redo, zoom and pan, with a mouse, a pen or a finger (pointer events).
//
// The touched-up cut-out lives in one full-size canvas, `result`: the server's cut-out with every
// stroke painted on it in turn (erase clears pixels, restore paints the original photograph's
// through the brush). Undo replays the strokes that remain from the server's cut-out. What the
// stage shows is three canvases of the stage's own size (background, cut-out, original left of
// the split), redrawn when the view changes; while a stroke is painted, only its newest segment
// is drawn, on the full-size canvas and on the shown one, so that a large photograph paints as
// smoothly as a small one.
'use strict';

const MIN_ZOOM = 1;
const MAX_ZOOM = 16;
const BLUR_SIDE = 480;  // the blurred background is made at this long side, then stretched

export class Editor {
  // `stage` holds canvas.view-background, canvas.view-cutout and canvas.view-original.
  constructor(stage, original, cutout) {
    this.stage = stage;
    this.original = original;  // ImageBitmap (or canvas) of the photograph
    this.cutout = cutout;      // ImageBitmap of the server's cut-out, the same size
    this.width = cutout.width;
    this.height = cutout.height;
    this.result = new OffscreenCanvas(this.width, this.height);
    this.strokes = [];
    this.undone = [];
    this.tool = 'compare';
    this.brushPixels = 30;  // on the screen
    this.split = 0.5;
    this.background = null;  // drawn by `paintBackground`, in the photograph's coordinates
    this.zoom = 1;
    this.centre = { x: this.width / 2, y: this.height / 2 };  // of the view, in the photograph
    this.listeners = new Set();
    this.layers = {
      background: stage.querySelector('.view-background'),
      cutout: stage.querySelector('.view-cutout'),
      original: stage.querySelector('.view-original'),
    };
    this.pointers = new Map();
    this.replay();
  }

  // Shows this result on the stage and takes its pointers, until `detach`.
  attach() {
    if (this.attached) return;
    this.attached = true;
    this.bindPointers();
    this.resizeObserver = new ResizeObserver(() => this.redraw());
    this.resizeObserver.observe(this.stage);
    this.redraw();
  }

  detach() {
    if (!this.attached) return;
    this.attached = false;
    this.cancelStroke();
    this.resizeObserver.disconnect();
    this.abortPointers.abort();
    this.pointers.clear();
  }

  // Called after every change of the strokes: for the undo and redo buttons.
  onChange(listener) {
    this.listeners.add(listener);
  }

  changed() {
    for (const listener of this.listeners) listener(this);
  }

  get edited() {
    return this.strokes.length > 0;
  }

  // ---- the strokes -----------------------------------------------------------------------------

  undo() {
    if (!this.strokes.length) return;
    this.undone.push(this.strokes.pop());
    this.replay();
    this.redraw();
    this.changed();
  }

  redo() {
    if (!this.undone.length) return;
    const stroke = this.undone.pop();
    this.strokes.push(stroke);
    this.paintWhole(this.result.getContext('2d'), stroke);
    this.redraw();
    this.changed();
  }

  replay() {
    const context = this.result.getContext('2d');
    context.clearRect(0, 0, this.width, this.height);
    context.drawImage(this.cutout, 0, 0);
    for (const stroke of this.strokes) this.paintWhole(context, stroke);
  }

  // A stroke is painted segment by segment as it was drawn, so that a replay gives the same pixels
  // at its edges as the painting did.
  paintWhole(context, stroke) {
    stroke.points.forEach((point, i) => this.paint(context, stroke, stroke.points[Math.max(0, i - 1)], point));
  }

  // One segment of `stroke` onto `context`, in the photograph's coordinates: erase clears the
  // brush's path, restore paints the original photograph through it.
  paint(context, stroke, from, to) {
    context.save();
    context.lineCap = 'round';
    context.lineWidth = stroke.size;
    if (stroke.tool === 'erase') {
      context.globalCompositeOperation = 'destination-out';
      context.strokeStyle = '#000';
    } else {
      context.globalCompositeOperation = 'source-over';
      context.strokeStyle = this.patternFor(context);
    }
    context.beginPath();
    context.moveTo(from[0], from[1]);
    context.lineTo(to[0], to[1]);
    context.stroke();
    context.restore();
  }

  // The original photograph as a pattern of `context`, made once: making it copies the pixels.
  patternFor(context) {
    this.patterns ||= new WeakMap();
    if (!this.patterns.has(context)) this.patterns.set(context, context.createPattern(this.original, 'no-repeat'));
    return this.patterns.get(context);
  }

  // ---- the view ----------------------------------------------------------------------------------

  // Scale from the photograph to CSS pixels of the stage, and where the photograph's corner is.
  viewTransform() {
    const box = this.stage.getBoundingClientRect();
    const scale = (box.width / this.width) * this.zoom;
    return {
      scale,
      x: box.width / 2 - this.centre.x * scale,
      y: box.height / 2 - this.centre.y * scale,
      box,
    };
  }

  // Keeps the photograph covering the stage: no empty band beside it when zoomed in.
  clampCentre() {
    const half = { x: this.width / (2 * this.zoom), y: this.height / (2 * this.zoom) };
    this.centre.x = Math.min(this.width - half.x, Math.max(half.x, this.centre.x));
    this.centre.y = Math.min(this.height - half.y, Math.max(half.y, this.centre.y));
  }

  // Zooms by `factor` keeping the photograph's point under (clientX, clientY) in place.
  zoomBy(factor, clientX, clientY) {
    const view = this.viewTransform();
    const at = clientX === undefined
      ? { x: view.box.width / 2, y: view.box.height / 2 }
      : { x: clientX - view.box.left, y: clientY - view.box.top };
    const point = { x: (at.x - view.x) / view.scale, y: (at.y - view.y) / view.scale };
    this.zoom = Math.min(MAX_ZOOM, Math.max(MIN_ZOOM, this.zoom * factor));
    const scale = (view.box.width / this.width) * this.zoom;
    this.centre = { x: point.x - (at.x - view.box.width / 2) / scale, y: point.y - (at.y - view.box.height / 2) / scale };
    this.clampCentre();
    this.redraw();
    this.changed();
  }

  fit() {
    this.zoom = 1;
    this.centre = { x: this.width / 2, y: this.height / 2 };
    this.redraw();
    this.changed();
  }

  panBy(dx, dy) {
    const { scale } = this.viewTransform();
    this.centre.x -= dx / scale;
    this.centre.y -= dy / scale;
    this.clampCentre();
    this.redraw();
  }

  setSplit(fraction) {
    this.split = fraction;
    this.layers.original.style.clipPath = `inset(0 ${100 - fraction * 100}% 0 0)`;
    this.stage.style.setProperty('--split', `${fraction * 100}%`);
  }

  setBackground(background) {
    this.background = background;
    this.drawLayer(this.layers.background, (context) => paintBackground(context, background, this));
  }

  // The photograph's blurred copy, made once, for the "blurred" background.
  blurred() {
    if (!this.blurredCanvas) {
      const scale = Math.min(1, BLUR_SIDE / Math.max(this.width, this.height));
      const w = Math.max(1, Math.round(this.width * scale));
      const h = Math.max(1, Math.round(this.height * scale));
      const canvas = new OffscreenCanvas(w, h);
      const context = canvas.getContext('2d');
      context.filter = `blur(${Math.max(2, Math.round(Math.max(w, h) / 60))}px)`;
      // Drawn larger than the canvas, so that the blur does not fade into its transparent edges.
      const margin = Math.max(w, h) / 10;
      context.drawImage(this.original, -margin, -margin, w + 2 * margin, h + 2 * margin);
      this.blurredCanvas = canvas;
    }
    return this.blurredCanvas;
  }

  // Draws `paint` (in the photograph's coordinates) into a shown canvas, at the view's transform.
  drawLayer(canvas, paint) {
    const view = this.viewTransform();
    const ratio = window.devicePixelRatio || 1;
    const w = Math.max(1, Math.round(view.box.width * ratio));
    const h = Math.max(1, Math.round(view.box.height * ratio));
    if (canvas.width !== w || canvas.height !== h) {
      canvas.width = w;
      canvas.height = h;
    }
    const context = canvas.getContext('2d');
    context.setTransform(1, 0, 0, 1, 0, 0);
    context.clearRect(0, 0, w, h);
    context.setTransform(view.scale * ratio, 0, 0, view.scale * ratio, view.x * ratio, view.y * ratio);
    context.imageSmoothingQuality = 'high';
    paint(context);
    return context;
  }

  drawCutout() {
    this.drawLayer(this.layers.cutout, (context) => context.drawImage(this.result, 0, 0));
  }

  redraw() {
    this.setBackground(this.background);
    this.drawCutout();
    this.drawLayer(this.layers.original, (context) => context.drawImage(this.original, 0, 0));
    this.setSplit(this.split);
  }

  // ---- pointers: painting, panning, pinching, moving the split -----------------------------------

  pointInPhoto(event) {
    const view = this.viewTransform();
    return [(event.clientX - view.box.left - view.x) / view.scale, (event.clientY - view.box.top - view.y) / view.scale];
  }

  bindPointers() {
    this.abortPointers = new AbortController();
    const options = { signal: this.abortPointers.signal };
    const stage = this.stage;
    stage.addEventListener('pointerdown', (event) => this.pointerDown(event), options);
    stage.addEventListener('pointermove', (event) => this.pointerMove(event), options);
    for (const type of ['pointerup', 'pointercancel'])
      stage.addEventListener(type, (event) => this.pointerUp(event), options);
    stage.addEventListener('wheel', (event) => {
      if (this.tool === 'compare' && !event.ctrlKey) return;  // the page scrolls
      event.preventDefault();
      this.zoomBy(Math.exp(-event.deltaY / 300), event.clientX, event.clientY);
    }, { ...options, passive: false });
  }

  pointerDown(event) {
    if (event.pointerType === 'mouse' && event.button !== 0 && event.button !== 1) return;
    event.preventDefault();
    this.stage.setPointerCapture(event.pointerId);
    this.pointers.set(event.pointerId, { x: event.clientX, y: event.clientY });
    if (this.pointers.size === 2) {  // a second finger: pinch and pan instead of painting
      this.cancelStroke();
      this.pinch = this.pinchState();
      return;
    }
    const panning = this.tool === 'move' || event.button === 1 || event.shiftKey;
    if (panning) this.gesture = 'pan';
    else if (this.tool === 'compare') {
      this.gesture = 'split';
      this.moveSplit(event);
    } else this.startStroke(event);
  }

  pointerMove(event) {
    if (this.tool === 'erase' || this.tool === 'restore') this.showBrush(event);
    const last = this.pointers.get(event.pointerId);
    if (!last) return;
    if (this.pinch && this.pointers.size === 2) {
      this.pointers.set(event.pointerId, { x: event.clientX, y: event.clientY });
      const now = this.pinchState();
      this.zoomBy(now.distance / this.pinch.distance, now.x, now.y);
      this.panBy(now.x - this.pinch.x, now.y - this.pinch.y);
      this.pinch = now;
      return;
    }
    this.pointers.set(event.pointerId, { x: event.clientX, y: event.clientY });
    if (this.gesture === 'pan') this.panBy(event.clientX - last.x, event.clientY - last.y);
    else if (this.gesture === 'split') this.moveSplit(event);
    else if (this.stroke) {
      const events = event.getCoalescedEvents ? event.getCoalescedEvents() : [event];
      for (const each of events.length ? events : [event]) this.extendStroke(this.pointInPhoto(each));
    }
  }

  pointerUp(event) {
    this.pointers.delete(event.pointerId);
    if (this.pointers.size < 2) this.pinch = null;
    if (this.pointers.size > 0) return;
    if (this.stroke) this.endStroke();
    this.gesture = null;
  }

  pinchState() {
    const [a, b] = [...this.pointers.values()];
    return { x: (a.x + b.x) / 2, y: (a.y + b.y) / 2, distance: Math.max(1, Math.hypot(a.x - b.x, a.y - b.y)) };
  }

  moveSplit(event) {
    const box = this.stage.getBoundingClientRect();
    this.setSplit(Math.min(1, Math.max(0, (event.clientX - box.left) / box.width)));
    this.stage.dispatchEvent(new CustomEvent('splitchange', { detail: this.split }));
  }

  showBrush(event) {
    const box = this.stage.getBoundingClientRect();
    this.stage.style.setProperty('--brush-x', `${event.clientX - box.left}px`);
    this.stage.style.setProperty('--brush-y', `${event.clientY - box.top}px`);
  }

  startStroke(event) {
    const view = this.viewTransform();
    const point = this.pointInPhoto(event);
    this.stroke = { tool: this.tool, size: this.brushPixels / view.scale, points: [point] };
    this.shownCutout = this.layers.cutout.getContext('2d');
    this.paintSegment(point, point);
  }

  // Points nearer than an eighth of the brush to the last one add nothing but work; the stroke's
  // end is added all the same when it ends.
  extendStroke(point, always = false) {
    const points = this.stroke.points;
    const last = points[points.length - 1];
    this.stroke.end = point;
    const moved = Math.hypot(point[0] - last[0], point[1] - last[1]);
    if (moved === 0 || (!always && moved < this.stroke.size / 8)) return;
    points.push(point);
    this.paintSegment(last, point);
  }

  // The newest segment on the full-size cut-out and on the shown one (whose transform is the view's).
  paintSegment(from, to) {
    this.paint(this.result.getContext('2d'), this.stroke, from, to);
    this.paint(this.shownCutout, this.stroke, from, to);
  }

  endStroke() {
    if (this.stroke.end) this.extendStroke(this.stroke.end, true);
    delete this.stroke.end;
    this.strokes.push(this.stroke);
    this.undone = [];
    this.stroke = null;
    this.drawCutout();  // again from the full-size one, smoothly scaled; the other layers are as they were
    this.changed();
  }

  cancelStroke() {
    if (!this.stroke) return;
    this.stroke = null;
    this.replay();
    this.redraw();
  }
}

// Draws the background `background` ({colour} | {picture} | {blur: true} | null) under a
// photograph of editor's size, in the photograph's coordinates.
export function paintBackground(context, background, editor) {
  if (!background) return;
  const { width, height } = editor;
  if (background.colour) {
    context.fillStyle = background.colour;
    context.fillRect(0, 0, width, height);
  } else if (background.picture) {
    // Covers the photograph, cropped to its shape around the picture's middle.
    const picture = background.picture;
    const scale = Math.max(width / picture.width, height / picture.height);
    const w = picture.width * scale;
    const h = picture.height * scale;
    context.drawImage(picture, (width - w) / 2, (height - h) / 2, w, h);
  } else if (background.blur) {
    context.drawImage(editor.blurred(), 0, 0, width, height);
  }
}
