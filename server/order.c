/* order.c: LSD radix sort of (key, row) pairs (see order.h).
 *
 * 11-bit digits: a 2048-entry histogram per digit stays in L1. One read pass
 * counts every digit up to the widest key at once; a digit whose histogram
 * has a single non-empty bucket is the same for all keys and costs no pass. */
#include "traceview/order.h"

#include <string.h>

#define DIGIT_BITS 11
#define DIGITS ((64 + DIGIT_BITS - 1) / DIGIT_BITS) /* 6 */
#define BUCKETS (1u << DIGIT_BITS)

void tv_radix_sort(tv_order_item_t *items, tv_order_item_t *tmp, size_t n) {
  if (n < 2) return;
  /* Digits above the widest key are 0 for all: not even counted. */
  uint64_t any = 0;
  for (size_t i = 0; i < n; i++) any |= items[i].key;
  int digits = 1;
  while (digits < DIGITS && (any >> (digits * DIGIT_BITS)) != 0) digits++;
  static _Thread_local size_t hist[DIGITS][BUCKETS];
  memset(hist, 0, (size_t)digits * sizeof hist[0]);
  for (size_t i = 0; i < n; i++) {
    uint64_t k = items[i].key;
    for (int d = 0; d < digits; d++) hist[d][(k >> (d * DIGIT_BITS)) & (BUCKETS - 1)]++;
  }
  tv_order_item_t *src = items, *dst = tmp;
  for (int d = 0; d < digits; d++) {
    size_t *h = hist[d];
    /* Skip a digit every key shares. */
    size_t first = (size_t)((items[0].key >> (d * DIGIT_BITS)) & (BUCKETS - 1));
    if (h[first] == n) continue;
    size_t sum = 0;
    for (unsigned b = 0; b < BUCKETS; b++) {
      size_t c = h[b];
      h[b] = sum;
      sum += c;
    }
    int shift = d * DIGIT_BITS;
    for (size_t i = 0; i < n; i++) {
      tv_order_item_t it = src[i];
      dst[h[(it.key >> shift) & (BUCKETS - 1)]++] = it;
    }
    tv_order_item_t *t = src;
    src = dst;
    dst = t;
  }
  if (src != items) memcpy(items, src, n * sizeof *items);
}
