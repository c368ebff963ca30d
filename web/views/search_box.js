// search_box.js: the search field in the top bar (GET /search): substring or
// regex, case-insensitive unless asked, over slice names and (demangled)
// details in the selected range and threads. Shows the number of matching
// slices as soon as the answer arrives, a drop-down list of the longest (or
// earliest) matches, and moves the selection through them: Enter / Shift+Enter
// in the field, n / N anywhere else, or the arrow buttons. The answer's `ids`
// (matching string ids) go to the app, which highlights the matches on the
// timeline and in the flame graph.

import { fetchLatest } from "../data/latest.js";
import { selectionParams } from "../model/analysis_state.js";
import { formatDuration, formatCount, formatTime } from "../model/format.js";

const TYPE_DELAY_MS = 300;
const LIMIT = 200;

export class SearchBox {
  /**
   * root: the container in the top bar (built here); list: the drop-down element
   * o: {queries, an, onChange(push), onResults(answer|null), onPick(result, index, answer), trackLabel(n)}
   */
  constructor(root, list, o) {
    this.root = root;
    this.list = list;
    this.o = o;
    this.an = o.an;
    this.answer = null;
    this.loadedKey = null;
    this.wantKey = null;
    this.loading = 0;
    this.error = null;
    this.index = -1;
    this.timer = 0;
    this.build();
  }

  build() {
    const r = this.root;
    r.textContent = "";
    const input = (this.input = document.createElement("input"));
    input.type = "search";
    input.className = "search-input";
    input.placeholder = "Search names and details";
    input.spellcheck = false;
    input.setAttribute("aria-label", "Search slice names and details");
    input.title = "Substring (or regex with .*) over slice names and details · Enter: next, Shift+Enter: previous · / to focus";
    this.regexBtn = toggle(".*", "Regular expression (POSIX extended)");
    this.caseBtn = toggle("Aa", "Case-sensitive");
    this.count = document.createElement("button");
    this.count.className = "search-count";
    this.count.type = "button";
    this.count.title = "Show or hide the list of matches";
    this.prevBtn = iconBtn("‹", "Previous match (Shift+Enter, N)");
    this.nextBtn = iconBtn("›", "Next match (Enter, n)");
    r.append(input, this.regexBtn, this.caseBtn, this.count, this.prevBtn, this.nextBtn);

    input.addEventListener("input", () => {
      clearTimeout(this.timer);
      this.timer = setTimeout(() => {
        this.timer = 0;
        this.commit(false);
      }, TYPE_DELAY_MS);
    });
    input.addEventListener("keydown", (e) => {
      if (e.key === "Enter") {
        e.preventDefault();
        if (this.timer || input.value !== this.an.search.q) {
          clearTimeout(this.timer);
          this.timer = 0;
          this.commit(true, { first: !e.shiftKey });
        } else this.step(e.shiftKey ? -1 : 1);
      } else if (e.key === "Escape") {
        e.preventDefault();
        e.stopPropagation();
        if (!this.list.hidden) this.showList(false);
        else if (input.value) {
          input.value = "";
          this.commit(true);
        } else input.blur();
      } else if (e.key === "ArrowDown" && this.answer) {
        e.preventDefault();
        this.step(1);
      } else if (e.key === "ArrowUp" && this.answer) {
        e.preventDefault();
        this.step(-1);
      }
    });
    input.addEventListener("focus", () => {
      if (this.answer && this.answer.results.length) this.showList(true);
    });
    const flip = (btn, key) =>
      btn.addEventListener("click", () => {
        this.an.search[key] = !this.an.search[key];
        this.syncToggles();
        if (this.an.search.q) this.commit(true);
      });
    flip(this.regexBtn, "regex");
    flip(this.caseBtn, "caseSensitive");
    this.count.addEventListener("click", () => this.showList(this.list.hidden));
    this.prevBtn.addEventListener("click", () => this.step(-1));
    this.nextBtn.addEventListener("click", () => this.step(1));
    this.onDocDown = (e) => {
      if (!this.list.hidden && !this.list.contains(e.target) && !this.root.contains(e.target)) this.showList(false);
    };
    window.addEventListener("mousedown", this.onDocDown);
    this.syncToggles();
    this.renderCount();
  }

  destroy() {
    clearTimeout(this.timer);
    window.removeEventListener("mousedown", this.onDocDown);
    this.list.hidden = true;
    this.destroyed = true;
  }

  busy() {
    return this.loading > 0 || this.timer !== 0;
  }

  focus() {
    this.input.focus();
    this.input.select();
  }

  syncToggles() {
    setOn(this.regexBtn, this.an.search.regex);
    setOn(this.caseBtn, this.an.search.caseSensitive);
  }

  /** Takes the field's text as the search (push: a new history entry). */
  commit(push, opts = {}) {
    const q = this.input.value.slice(0, 256);
    const changed = q !== this.an.search.q;
    this.an.search.q = q;
    this.index = -1;
    this.o.onChange(push || (changed && !q));
    this.refresh(opts);
  }

  /** Sets the search from outside (the flame graph's context menu). */
  searchFor(text) {
    this.input.value = text;
    this.an.search.regex = false;
    this.syncToggles();
    this.commit(true, { first: true });
  }

  queryParams() {
    const s = this.an.search;
    return {
      ...selectionParams(this.an),
      q: s.q,
      regex: s.regex ? 1 : undefined,
      case: s.caseSensitive ? 1 : undefined,
      order: s.order === "time" ? "time" : undefined,
      limit: LIMIT,
    };
  }

  /** Re-reads the shared state (range, threads, text) and asks again when it changed. */
  refresh(opts = {}) {
    const s = this.an.search;
    if (document.activeElement !== this.input && !this.timer) this.input.value = s.q;
    this.syncToggles();
    if (!s.q || (this.an.threads && this.an.threads.length === 0)) {
      const had = this.answer || this.error;
      this.answer = null;
      this.error = null;
      this.loadedKey = null;
      this.wantKey = null;
      this.index = -1;
      this.renderCount();
      this.showList(false);
      if (had) this.o.onResults(null);
      return;
    }
    const q = this.queryParams();
    const key = JSON.stringify(q);
    if (key === this.loadedKey || key === this.wantKey) {
      if (opts.first && this.answer) this.step(1);
      return;
    }
    fetchLatest(
      this,
      key,
      this.o.queries.get("search", q),
      (j) => {
        this.loadedKey = key;
        this.answer = j;
        this.error = null;
        this.index = -1;
        this.renderCount();
        this.renderList();
        if (document.activeElement === this.input && j.results.length) this.showList(true);
        this.o.onResults(j);
        if (opts.first && j.results.length) this.step(1);
      },
      (err) => {
        this.answer = null;
        this.error = err;
        this.loadedKey = null;
        this.renderCount();
        this.showList(false);
        this.o.onResults(null);
      },
    );
    this.renderCount();
  }

  renderCount() {
    const c = this.count;
    const j = this.answer;
    c.classList.remove("error");
    this.root.classList.toggle("has-query", !!this.an.search.q);
    if (this.error) {
      c.textContent = this.error.status === 400 ? "bad pattern" : "error";
      c.title = this.error.message;
      c.classList.add("error");
    } else if (this.loading && !j) {
      c.textContent = "…";
    } else if (j) {
      const n = j.results.length;
      c.textContent =
        (this.index >= 0 ? `${formatCount(this.index + 1)} / ` : "") +
        `${formatCount(j.count)} match${j.count === 1 ? "" : "es"}`;
      c.title =
        `${formatCount(j.count)} slices match in ${formatCount(j.strings_matched ?? j.ids.length)} distinct names and details` +
        (n < j.count ? `; the ${formatCount(n)} ${this.an.search.order === "time" ? "earliest" : "longest"} are listed` : "") +
        " · click for the list";
    } else {
      c.textContent = "";
    }
    c.hidden = !c.textContent;
    const can = !!(j && j.results.length);
    this.prevBtn.disabled = !can;
    this.nextBtn.disabled = !can;
    this.prevBtn.hidden = this.nextBtn.hidden = !this.an.search.q;
  }

  renderList() {
    const box = this.list;
    box.textContent = "";
    const j = this.answer;
    if (!j) return;
    const head = document.createElement("div");
    head.className = "sr-head";
    const title = document.createElement("span");
    title.textContent =
      j.results.length < j.count
        ? `${formatCount(j.count)} matches · the ${formatCount(j.results.length)} ${this.an.search.order === "time" ? "earliest" : "longest"}`
        : `${formatCount(j.count)} match${j.count === 1 ? "" : "es"}`;
    const order = document.createElement("button");
    order.className = "link";
    order.textContent = this.an.search.order === "time" ? "sort by duration" : "sort by time";
    order.addEventListener("click", () => {
      this.an.search.order = this.an.search.order === "time" ? "longest" : "time";
      this.o.onChange(false);
      this.refresh();
    });
    head.append(title, order);
    box.appendChild(head);
    const ul = document.createElement("ol");
    ul.className = "sr-list";
    j.results.forEach((r, i) => {
      const li = document.createElement("li");
      li.className = "sr-item" + (i === this.index ? " current" : "");
      li.dataset.index = i;
      const name = j.strings[r.name] ?? "";
      const detail = r.detail ? j.strings[r.detail] ?? "" : "";
      const a = document.createElement("div");
      a.className = "sr-name";
      a.textContent = name || detail || "(unnamed)";
      const dur = document.createElement("span");
      dur.className = "sr-dur";
      dur.textContent = formatDuration(r.dur);
      a.appendChild(dur);
      li.appendChild(a);
      if (detail && name) {
        const d = document.createElement("div");
        d.className = "sr-detail";
        d.textContent = detail;
        li.appendChild(d);
      }
      const m = document.createElement("div");
      m.className = "sr-meta";
      m.textContent = `${this.o.trackLabel(r.track)} · at ${formatTime(r.start, 1000)}`;
      li.appendChild(m);
      li.addEventListener("click", () => this.go(i));
      ul.appendChild(li);
    });
    box.appendChild(ul);
  }

  showList(on) {
    const show = on && !!this.answer && this.answer.results.length > 0;
    this.list.hidden = !show;
    if (show) {
      const r = this.root.getBoundingClientRect();
      this.list.style.left = Math.max(8, Math.min(window.innerWidth - 468, r.left)) + "px";
      this.list.style.top = r.bottom + 4 + "px";
    }
  }

  /** Moves to the next (+1) or previous (-1) result. */
  step(dir) {
    const j = this.answer;
    if (!j || !j.results.length) return false;
    const n = j.results.length;
    const i = this.index < 0 ? (dir > 0 ? 0 : n - 1) : (this.index + dir + n) % n;
    this.go(i);
    return true;
  }

  go(i) {
    const j = this.answer;
    if (!j || i < 0 || i >= j.results.length) return;
    this.index = i;
    this.renderCount();
    for (const li of this.list.querySelectorAll(".sr-item")) li.classList.toggle("current", +li.dataset.index === i);
    const cur = this.list.querySelector(".sr-item.current");
    if (cur && !this.list.hidden) cur.scrollIntoView({ block: "nearest" });
    this.o.onPick(j.results[i], i, j);
  }

  state() {
    const j = this.answer;
    return {
      q: this.an.search.q,
      regex: this.an.search.regex,
      caseSensitive: this.an.search.caseSensitive,
      order: this.an.search.order,
      loading: this.loading > 0,
      error: this.error ? this.error.message : null,
      count: j ? j.count : null,
      countText: this.count.hidden ? "" : this.count.textContent,
      results: j ? j.results.length : 0,
      ids: j ? j.ids.length : 0,
      index: this.index,
      listOpen: !this.list.hidden,
    };
  }
}

function toggle(text, title) {
  const b = document.createElement("button");
  b.type = "button";
  b.className = "search-tog";
  b.textContent = text;
  b.title = title;
  b.setAttribute("aria-pressed", "false");
  return b;
}

function iconBtn(text, title) {
  const b = document.createElement("button");
  b.type = "button";
  b.className = "search-step";
  b.textContent = text;
  b.title = title;
  b.setAttribute("aria-label", title);
  return b;
}

function setOn(b, on) {
  b.classList.toggle("on", on);
  b.setAttribute("aria-pressed", on ? "true" : "false");
}
