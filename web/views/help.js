// help.js: the keyboard help overlay (`?`).

const KEYS = [
  ["W / S", "zoom in / out (around the mouse, or the centre)"],
  ["A / D", "pan left / right"],
  ["Ctrl + wheel, pinch", "zoom around the mouse"],
  ["Wheel", "scroll the tracks; horizontal wheel or Shift + wheel pans"],
  ["Drag", "pan (left button)"],
  ["Shift + drag", "select a time range (or drag on the time ruler); the flame graph, statistics and search follow it"],
  ["Click the ruler", "clear the selected range"],
  ["Click", "select a slice and show its details"],
  ["0 or F", "zoom to fit the whole trace"],
  ["Z", "zoom to the selected slice"],
  ["L", "show or hide flow arrows (arrows touching the selected slice are orange)"],
  ["Click a process", "collapse or expand its threads"],
  ["Minimap", "click or drag to move the visible window"],
  ["1 / 2 / 3", "timeline / flame graph / statistics"],
  ["/", "search names and details (Enter: next match, Shift + Enter: previous)"],
  ["n / N", "next / previous search match"],
  ["Click a frame", "flame graph: zoom into it; Backspace zooms out; right-click for callers and callees"],
  ["Esc", "close panels, clear the selection, then the range"],
  ["?", "show or hide this help"],
];

export class HelpOverlay {
  constructor(el) {
    this.el = el;
    this.built = false;
    el.addEventListener("click", (e) => {
      if (e.target === el) this.hide();
    });
  }

  get open() {
    return !this.el.hidden;
  }

  build() {
    const card = document.createElement("div");
    card.className = "help-card";
    card.setAttribute("role", "dialog");
    card.setAttribute("aria-label", "Keyboard shortcuts");
    const title = document.createElement("h2");
    title.textContent = "Keyboard and mouse";
    const t = document.createElement("table");
    for (const [k, v] of KEYS) {
      const tr = document.createElement("tr");
      const th = document.createElement("th");
      for (const part of k.split(/( \/ | \+ | or |, )/)) {
        if (/^( \/ | \+ | or |, )$/.test(part)) th.append(part);
        else {
          const kbd = document.createElement("kbd");
          kbd.textContent = part;
          th.appendChild(kbd);
        }
      }
      const td = document.createElement("td");
      td.textContent = v;
      tr.append(th, td);
      t.appendChild(tr);
    }
    const foot = document.createElement("p");
    foot.className = "muted";
    foot.textContent =
      "The address bar always holds the current view (view, range, selection, search, grouping, flame graph zoom): " +
      "Copy link shares exactly what you see; Back and Forward move between views.";
    card.append(title, t, foot);
    this.el.appendChild(card);
    this.built = true;
  }

  toggle() {
    if (this.open) this.hide();
    else this.show();
  }

  show() {
    if (!this.built) this.build();
    this.el.hidden = false;
  }

  hide() {
    this.el.hidden = true;
  }
}
