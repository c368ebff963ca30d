/* watch.h: `serve --watch`: re-index a served file when it changes.
 *
 * Change -> quiet -> re-index -> swap, all driven from the serve loop:
 *   CHANGED [fs event or stat poll]: (re)start the quiet timer;
 *   QUIET [timer, WATCH_QUIET_MS without events and the size stable]: if the
 *     file differs from what was last indexed, index it on the thread pool
 *     into a new served trace (the old one keeps answering);
 *   DONE [after work]: READY -> tv_slot_swap (generation + 1, open pages see
 *     it through `wait`); ERROR -> keep the old index and say why.
 * A change during a re-index is noted and handled when it ends. */
#ifndef TRACEVIEW_WATCH_H
#define TRACEVIEW_WATCH_H

#include <stdbool.h>
#include <uv.h>
#include "traceview/server.h"

#define WATCH_QUIET_MS 300     /* a writer that pauses longer gets two re-indexes */
#define WATCH_POLL_MS 1000     /* stat poll, for file systems without events */

typedef struct tv_watch tv_watch_t;

/** watches slot's file from loop; NULL (after saying why) when it cannot */
tv_watch_t *tv_watch_start(uv_loop_t *loop, tv_slot_t *slot, bool quiet);
/** stops watching and frees w once its handles are closed and any re-index
 *  under way has ended (its result is dropped); accepts NULL */
void tv_watch_stop(tv_watch_t *w);

#endif
