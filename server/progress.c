/* progress.c: progress display for long indexing runs. */
#include "traceview/progress.h"

#include <stdio.h>
#include <time.h>
#include <unistd.h>

static double now_s(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

void tv_progress_init(tv_progress_t *p, const char *label, int mode) {
  p->label = label;
  p->tty = isatty(STDERR_FILENO);
  p->enabled = mode == 2 || (mode == 1 && p->tty);
  p->last_pct = -1;
  p->started = now_s();
}

void tv_progress_update(void *ud, uint64_t done, uint64_t total) {
  tv_progress_t *p = ud;
  if (!p->enabled || total == 0) return;
  int pct = (int)(done * 100 / total);
  if (p->tty) {
    if (pct == p->last_pct) return;
    enum { WIDTH = 30 };
    int fill = pct * WIDTH / 100;
    char bar[WIDTH + 1];
    for (int i = 0; i < WIDTH; i++) bar[i] = i < fill ? '#' : '.';
    bar[WIDTH] = '\0';
    double el = now_s() - p->started;
    double mbs = el > 0 ? (double)done / el / 1e6 : 0;
    fprintf(stderr, "\rindexing %s [%s] %3d%% %.0f MB/s", p->label, bar, pct, mbs);
    fflush(stderr);
  } else {
    /* Plain lines every 10%, so logs stay short. */
    if (pct / 10 == p->last_pct / 10 && p->last_pct >= 0) return;
    fprintf(stderr, "indexing %s: %d%%\n", p->label, pct);
  }
  p->last_pct = pct;
}

void tv_progress_done(tv_progress_t *p) {
  if (p->enabled && p->tty && p->last_pct >= 0) fprintf(stderr, "\r\033[K");
}
