/* hugepages.h: asking for 2 MiB pages for big arrays.
 *
 * The index's columns and sort buffers are hundreds of MB, filled right
 * after they are allocated: with 4 KiB pages that is one page fault (and
 * one zeroed page) per 4 KiB, a visible share of indexing time. Where
 * transparent huge pages are on "madvise" (Debian's default), this asks for
 * 2 MiB pages on the aligned middle of the block; elsewhere it does nothing. */
#ifndef TRACEVIEW_HUGEPAGES_H
#define TRACEVIEW_HUGEPAGES_H

#include <stddef.h>
#include <stdint.h>
#include <sys/mman.h>

static inline void tv_hugepages(void *p, size_t bytes) {
#ifdef MADV_HUGEPAGE
  const uintptr_t huge = (uintptr_t)2 << 20;
  if (!p || bytes < 2 * huge) return;
  uintptr_t a = ((uintptr_t)p + huge - 1) & ~(huge - 1);
  uintptr_t b = ((uintptr_t)p + bytes) & ~(huge - 1);
  if (b > a) madvise((void *)a, b - a, MADV_HUGEPAGE);
#else
  (void)p;
  (void)bytes;
#endif
}

#endif
