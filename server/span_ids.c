/* span_ids.c: span keys for the Jaeger and OTLP readers (span_ids.h). */
#include "traceview/span_ids.h"

static uint64_t id_hash(uint64_t h, tv_str_t s) {
  size_t i = 0;
  while (i + 1 < s.len && s.p[i] == '0') i++; /* "00ab" and "ab" are one id */
  for (; i < s.len; i++) {
    unsigned char ch = (unsigned char)s.p[i];
    if (ch >= 'A' && ch <= 'Z') ch = (unsigned char)(ch + 32);
    h = (h ^ ch) * UINT64_C(0x100000001b3);
  }
  return h;
}

uint64_t tv_span_key(tv_str_t trace, tv_str_t span) {
  if (!span.len) return 0;
  uint64_t h = id_hash(UINT64_C(0xcbf29ce484222325), trace);
  h = (h ^ 0x1ff) * UINT64_C(0x100000001b3);
  h = id_hash(h, span);
  h ^= h >> 33;
  h *= UINT64_C(0xff51afd7ed558ccd);
  h ^= h >> 33;
  return h ? h : 1;
}
