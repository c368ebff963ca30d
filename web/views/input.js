// input.js: pan and zoom from the keyboard, the wheel and the mouse.
//
// Follows common trace viewers (Perfetto, Spall, speedscope):
//   W/S zoom around the mouse (or the centre), A/D pan; a tap moves one
//   step at once, holding keeps moving smoothly (driven by the frame loop);
//   Ctrl/Cmd + wheel and trackpad pinch (which Chromium sends as ctrl+wheel)
//   zoom around the mouse; vertical wheel scrolls the tracks; horizontal
//   wheel (or Shift + wheel) pans; a left-button drag pans both ways;
//   Shift + drag selects a time range (as a drag on the time ruler does).
// The view object provides: scale, zoomAt(factor, px|null), panPx(dx),
// scrollBy(dy), fit(), zoomToSelection(), toggleFlows(), requestRedraw(), clickAt(x, y),
// hoverAt(x, y, clientX, clientY), leave(), viewHeight(), timeX(canvasX),
// rangeDrag(canvasX0, canvasX1, done).

const TAP_ZOOM = 0.7; // one W tap shows 70% of the span
const HOLD_DELAY_MS = 150;
const ZOOM_RATE = 2.4; // ln(span) per second while held
const TAP_PAN = 0.15; // of the visible span
const PAN_RATE = 1.1; // spans per second while held
const TAP_SCROLL_PX = 60;
const SCROLL_RATE_PX = 900;
const DRAG_THRESHOLD_PX = 4;
const MOTION_KEYS = new Set(["w", "s", "a", "d", "arrowleft", "arrowright", "arrowup", "arrowdown"]);

export class PanZoomInput {
  constructor(view) {
    this.view = view;
    this.held = new Map(); // key -> time it went down
    this.last = 0;
    this.drag = null;
    this.handlers = [];
  }

  /** Listens on the tracks canvas, the wheel area and the window. */
  attach(canvas, wheelArea) {
    const on = (target, type, fn, opts) => {
      target.addEventListener(type, fn, opts);
      this.handlers.push(() => target.removeEventListener(type, fn, opts));
    };
    on(window, "keydown", (e) => this.keyDown(e));
    on(window, "keyup", (e) => this.held.delete(e.key.toLowerCase()));
    on(window, "blur", () => this.held.clear());
    on(wheelArea, "wheel", (e) => this.wheel(e), { passive: false });
    on(canvas, "mousedown", (e) => this.mouseDown(e, canvas));
    on(window, "mousemove", (e) => this.mouseMove(e, canvas));
    on(window, "mouseup", (e) => this.mouseUp(e, canvas));
    on(canvas, "mouseleave", () => {
      if (!this.drag) this.view.leave();
    });
  }

  detach() {
    for (const off of this.handlers) off();
    this.handlers = [];
    this.held.clear();
  }

  /** True while a held key keeps the view moving. */
  get animating() {
    return this.held.size > 0;
  }

  keyDown(e) {
    if (e.ctrlKey || e.metaKey || e.altKey) return;
    const t = e.target;
    if (t && (t.isContentEditable || /^(INPUT|TEXTAREA|SELECT)$/.test(t.tagName))) return;
    const k = e.key.toLowerCase();
    if (MOTION_KEYS.has(k)) {
      e.preventDefault();
      if (!this.held.has(k)) {
        const now = performance.now();
        this.held.set(k, now);
        this.last = now;
        this.apply(k, null);
        this.view.requestRedraw();
      }
    } else if (k === "0" || k === "f") {
      e.preventDefault();
      this.view.fit();
    } else if (k === "z") {
      e.preventDefault();
      this.view.zoomToSelection();
    } else if (k === "l") {
      e.preventDefault();
      this.view.toggleFlows();
    }
  }

  /** One motion: a tap step when dt is null, else dt seconds of motion. */
  apply(k, dt) {
    const v = this.view;
    switch (k) {
      case "w":
        v.zoomAt(dt == null ? TAP_ZOOM : Math.exp(-ZOOM_RATE * dt));
        break;
      case "s":
        v.zoomAt(dt == null ? 1 / TAP_ZOOM : Math.exp(ZOOM_RATE * dt));
        break;
      case "a":
      case "arrowleft":
        v.panPx(-v.scale.width * (dt == null ? TAP_PAN : PAN_RATE * dt));
        break;
      case "d":
      case "arrowright":
        v.panPx(v.scale.width * (dt == null ? TAP_PAN : PAN_RATE * dt));
        break;
      case "arrowup":
        v.scrollBy(-(dt == null ? TAP_SCROLL_PX : SCROLL_RATE_PX * dt));
        break;
      case "arrowdown":
        v.scrollBy(dt == null ? TAP_SCROLL_PX : SCROLL_RATE_PX * dt);
        break;
    }
  }

  /** Called once per frame; returns true while motion continues. */
  step(now) {
    if (!this.held.size) return false;
    const dt = Math.min(0.05, Math.max(0, (now - this.last) / 1000));
    this.last = now;
    for (const [k, down] of this.held) if (now - down >= HOLD_DELAY_MS) this.apply(k, dt);
    return true;
  }

  wheel(e) {
    e.preventDefault();
    const unit = e.deltaMode === 1 ? 16 : e.deltaMode === 2 ? this.view.viewHeight() : 1;
    let dx = e.deltaX * unit;
    let dy = e.deltaY * unit;
    const rect = e.currentTarget.getBoundingClientRect();
    const x = e.clientX - rect.left;
    if (e.ctrlKey || e.metaKey) {
      // pinch or ctrl+wheel: zoom around the mouse
      const factor = Math.exp(Math.max(-1, Math.min(1, dy * 0.0025)));
      this.view.zoomAt(factor, this.view.timeX(x));
      return;
    }
    if (e.shiftKey && dx === 0) {
      dx = dy;
      dy = 0;
    }
    if (dx) this.view.panPx(dx);
    if (dy) this.view.scrollBy(dy);
  }

  mouseDown(e, canvas) {
    if (e.button !== 0) return;
    const r = canvas.getBoundingClientRect();
    this.drag = { x: e.clientX, y: e.clientY, lastX: e.clientX, lastY: e.clientY, moved: false, ox: r.left, oy: r.top, range: e.shiftKey };
    e.preventDefault();
  }

  mouseMove(e, canvas) {
    const d = this.drag;
    if (d) {
      if (!d.moved && Math.hypot(e.clientX - d.x, e.clientY - d.y) >= DRAG_THRESHOLD_PX) {
        d.moved = true;
        canvas.classList.add(d.range ? "selecting" : "dragging");
        this.view.leave();
      }
      if (d.moved && d.range) {
        this.view.rangeDrag(d.x - d.ox, e.clientX - d.ox, false);
      } else if (d.moved) {
        this.view.panPx(d.lastX - e.clientX);
        this.view.scrollBy(d.lastY - e.clientY);
        d.lastX = e.clientX;
        d.lastY = e.clientY;
      }
      return;
    }
    if (e.target !== canvas) return;
    const r = canvas.getBoundingClientRect();
    this.view.hoverAt(e.clientX - r.left, e.clientY - r.top, e.clientX, e.clientY);
  }

  mouseUp(e, canvas) {
    const d = this.drag;
    if (!d) return;
    this.drag = null;
    canvas.classList.remove("dragging", "selecting");
    if (d.moved && d.range) this.view.rangeDrag(d.x - d.ox, e.clientX - d.ox, true);
    else if (!d.moved && e.button === 0) this.view.clickAt(d.x - d.ox, d.y - d.oy);
  }
}
