/* selftrace.h: traceview's own phases, written as a Chrome trace.
 *
 * `--trace-self OUT.json` (any command) records where indexing, loading and
 * serving spend their time, per thread, as X events that traceview itself
 * opens: the profile of the profiler. Recording is off unless enabled, and
 * then costs one clock read and one locked append per phase (phases are
 * coarse: a chunk scan, a sort, a cache load; never a single event). */
#ifndef TRACEVIEW_SELFTRACE_H
#define TRACEVIEW_SELFTRACE_H

#include <stdbool.h>
#include <stdint.h>

/** starts recording (call once, before any worker thread starts) */
void tv_self_enable(void);
bool tv_self_enabled(void);
/** a phase's start time (0 when recording is off) */
uint64_t tv_self_begin(void);
/** records the phase [start, now) on the calling thread; name must be a
 *  string literal (it is kept, not copied); detail may be NULL (copied) */
void tv_self_end(uint64_t start, const char *name, const char *detail);
/** writes what was recorded to path; 0, or -1 with errno set */
int tv_self_write(const char *path);

#endif
