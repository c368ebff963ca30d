/* pool.h: running independent jobs on the libuv thread pool and waiting.
 *
 * Indexing steps that split into independent pieces (one per thread of the
 * trace, one per chunk builder) call tv_run_parallel from whatever thread
 * they are on: it uses a private loop, so it works from the main thread and
 * from a pool thread alike (the pool is sized for nested jobs: main.c). */
#ifndef TRACEVIEW_POOL_H
#define TRACEVIEW_POOL_H

#include <stdbool.h>
#include <stddef.h>

/** Runs fn on each of the n items (item_size bytes apart) and returns when
 *  all are done: on the pool when worth_it and n > 1, else inline in order.
 *  0, or TV_ENOMEM (then nothing ran). */
int tv_run_parallel(void (*fn)(void *item), void *items, size_t item_size, size_t n,
                    bool worth_it);

#endif
