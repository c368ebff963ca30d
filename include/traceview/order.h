/* order.h: putting rows in timestamp order without comparisons.
 *
 * The indexer sorts every thread's slices, B/E marks, instants and samples
 * by time. A comparison sort (qsort) of millions of rows was a quarter of
 * the indexing time; a least-significant-digit radix sort of (key, row)
 * pairs is linear, stable, and skips the digits all keys share (timestamps
 * of one trace differ only in their low 30-40 bits). */
#ifndef TRACEVIEW_ORDER_H
#define TRACEVIEW_ORDER_H

#include <stddef.h>
#include <stdint.h>

typedef struct tv_order_item {
  uint64_t key;
  uint64_t row;
} tv_order_item_t;

/** Sorts items by key, stable (equal keys keep their order). tmp must hold
 *  n items; the result is in items. */
void tv_radix_sort(tv_order_item_t *items, tv_order_item_t *tmp, size_t n);

/** key for a signed timestamp that preserves its order as an unsigned number */
static inline uint64_t tv_order_key(int64_t ts, int64_t min_ts) {
  return (uint64_t)ts - (uint64_t)min_ts;
}

#endif
