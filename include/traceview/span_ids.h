/* span_ids.h: span identity shared by the Jaeger and OTLP readers. */
#ifndef TRACEVIEW_SPAN_IDS_H
#define TRACEVIEW_SPAN_IDS_H

#include <stdint.h>
#include "traceview/str.h"

/** the 64-bit key of (trace id, span id), never 0; 0 when span is empty.
 *  Hex ids match whatever their letter case and leading zeros. */
uint64_t tv_span_key(tv_str_t trace, tv_str_t span);

#endif
