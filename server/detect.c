/* detect.c: format detection from content.
 *
 * Compression is recognised first by its magic bytes: gzip and lz4 have been
 * turned into a mapped plain file by then (trace.c, decompress.c), so what
 * is left here is a format we cannot read yet; then every reader's probe
 * scores the bytes (UTF-16 too: the folded reader transcodes it). */
#include "traceview/reader.h"

#include <stdio.h>
#include <string.h>

const tv_reader_t *const tv_readers[] = {
    &tv_chrome_json_reader,
    &tv_perf_script_reader,
    &tv_folded_reader,
    &tv_cpuprofile_reader,
    &tv_jaeger_reader,
    &tv_otlp_reader,
    NULL,
};

static const struct {
  const char *name;
  const unsigned char magic[6];
  size_t len;
} compressions[] = {
    /* gzip and lz4 frames are decompressed before detection (decompress.c);
       seen here only inside an already decompressed file. */
    {"gzip", {0x1f, 0x8b}, 2},
    {"lz4 frame", {0x04, 0x22, 0x4d, 0x18}, 4},
    {"zstd", {0x28, 0xb5, 0x2f, 0xfd}, 4},
    {"xz", {0xfd, '7', 'z', 'X', 'Z', 0x00}, 6},
    {"bzip2", {'B', 'Z', 'h'}, 3},
};

/* "7b 22 74 ..." plus a printable rendering, for "what did we find" errors. */
static void describe_start(const char *p, size_t len, char *out, size_t cap) {
  size_t n = 0, show = len < 12 ? len : 12;
  for (size_t i = 0; i < show && n + 4 < cap; i++)
    n += (size_t)snprintf(out + n, cap - n, "%s%02x", i ? " " : "", (unsigned char)p[i]);
  if (n + 4 < cap) n += (size_t)snprintf(out + n, cap - n, " (\"");
  for (size_t i = 0; i < show && n + 4 < cap; i++) {
    unsigned char ch = (unsigned char)p[i];
    out[n++] = (ch >= 0x20 && ch < 0x7f) ? (char)ch : '.';
  }
  snprintf(out + n, cap - n, "\")");
}

const tv_reader_t *tv_detect(const char *p, size_t len, const char *file, tv_error_t *err) {
  size_t ws = 0;
  while (ws < len && (p[ws] == ' ' || p[ws] == '\t' || p[ws] == '\n' || p[ws] == '\r')) ws++;
  if (ws == len) {
    tv_error_set(err, TV_EFORMAT, file, (int64_t)len,
                 len ? "the file holds only white space; expected a trace"
                     : "the file is empty; expected a trace");
    return NULL;
  }
  for (size_t i = 0; i < sizeof compressions / sizeof compressions[0]; i++)
    if (len >= compressions[i].len && memcmp(p, compressions[i].magic, compressions[i].len) == 0) {
      tv_error_set(err, TV_EUNSUPPORTED, file, 0,
                   "%s-compressed input is not supported yet; decompress it first",
                   compressions[i].name);
      return NULL;
    }
  const tv_reader_t *best = NULL;
  int best_score = 0;
  for (const tv_reader_t *const *r = tv_readers; *r; r++) {
    int score = (*r)->probe(p, len);
    if (score > best_score) {
      best = *r;
      best_score = score;
    }
  }
  if (!best && len >= 2 && (((unsigned char)p[0] == 0xff && (unsigned char)p[1] == 0xfe) ||
                            ((unsigned char)p[0] == 0xfe && (unsigned char)p[1] == 0xff))) {
    /* Only folded stacks are read in UTF-16 (folded.c); nothing else claimed it. */
    tv_error_set(err, TV_EFORMAT, file, 0,
                 "the file is UTF-16 text and not folded stacks; traces must be UTF-8 "
                 "(convert it with iconv)");
    return NULL;
  }
  if (!best) {
    char start[128], tried[512];
    size_t n = 0;
    tried[0] = '\0';
    for (const tv_reader_t *const *r = tv_readers; *r && n < sizeof tried; r++)
      n += (size_t)snprintf(tried + n, sizeof tried - n, "%s%s: %s", n ? "; " : "",
                            (*r)->name, (*r)->description);
    describe_start(p, len, start, sizeof start);
    tv_error_set(err, TV_EFORMAT, file, 0,
                 "not a recognised trace format (tried: %s); the file starts with %s", tried,
                 start);
  }
  return best;
}
