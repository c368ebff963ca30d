/* chrome_samples.h: CPU samples of Chrome traces (chrome_samples.c), read
 * after the event scan: Profile/ProfileChunk and sf-style P events (found
 * through the builders' revisit offsets) and the object form's top-level
 * "stackFrames" and "samples". */
#ifndef TRACEVIEW_CHROME_SAMPLES_H
#define TRACEVIEW_CHROME_SAMPLES_H

#include "traceview/reader.h"

/** adds the samples to the last of builders[0..n); stack_frames and samples
 *  point at those top-level values in t's mapping (or are NULL). Unreadable
 *  samples become warnings; only out of memory is an error. */
int tv_chrome_samples(tv_trace_t *t, tv_builder_t *builders, size_t n, const char *stack_frames,
                      const char *samples, tv_error_t *err);

#endif
