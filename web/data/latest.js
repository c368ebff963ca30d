// latest.js: one request at a time per view, keyed: only the answer to the
// latest key is delivered (a slower, older answer is dropped), and the view's
// `loading` count stays right for traceviewIdle(). The view object holds
// `wantKey`, `loading` and `destroyed`.

/**
 * Starts `promise` for `key` on behalf of `view`; calls onOk(value) or
 * onErr(error) only if `key` is still the one the view wants.
 */
export function fetchLatest(view, key, promise, onOk, onErr) {
  view.wantKey = key;
  view.loading++;
  const settle = (fn) => (value) => {
    view.loading--;
    if (view.destroyed || key !== view.wantKey) return;
    view.wantKey = null;
    fn(value);
  };
  promise.then(settle(onOk), settle(onErr));
}
