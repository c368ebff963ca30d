/* progress.h: indexing progress on standard error: a bar on a terminal,
 * plain lines ("indexing trace.json: 40%") otherwise. */
#ifndef TRACEVIEW_PROGRESS_H
#define TRACEVIEW_PROGRESS_H

#include <stdbool.h>
#include <stdint.h>

typedef struct tv_progress {
  const char *label;
  bool tty;        /* draw a bar that redraws in place */
  bool enabled;
  int last_pct;
  double started;
} tv_progress_t;

/** mode: 0 = off, 1 = bar on a terminal only, 2 = always (lines when not a tty) */
void tv_progress_init(tv_progress_t *p, const char *label, int mode);
/** a tv_progress_fn: ud is the tv_progress_t */
void tv_progress_update(void *ud, uint64_t done, uint64_t total);
/** ends the bar (newline on a terminal) */
void tv_progress_done(tv_progress_t *p);

#endif
