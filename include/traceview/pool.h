/* pool.h: a tiny fork-join over a job array, on plain threads made for the
 * call (no shared queue to wait behind): the index cache's chunks, the LOD
 * pyramids of a trace's threads. */
#ifndef TRACEVIEW_POOL_H
#define TRACEVIEW_POOL_H

#include <stddef.h>

#define TV_POOL_MAX_THREADS 64

/* Background work (a cache save after the trace is served): the jobs run on
 * threads of their own at a lower priority (nice +10), so that requests
 * being answered meanwhile get the cores first; the caller only waits. */
#define TV_POOL_BACKGROUND 1u

/** threads a pool uses, and chunks the indexer scans: $TRACEVIEW_THREADS when
 *  it is a number >= 1, else the online cores (1..64) */
unsigned tv_pool_threads(void);

/** runs run(ctx, j) for every j in [0, n_jobs) on up to tv_pool_threads()
 *  threads (the caller's among them, unless TV_POOL_BACKGROUND). Jobs are
 *  claimed in order; once one fails, the jobs not yet started are skipped.
 *  0, or -1 when a job failed. */
int tv_pool_run(size_t n_jobs, int (*run)(void *ctx, size_t j), void *ctx, unsigned flags);

#endif
