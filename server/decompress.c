/* decompress.c: compressed traces (gzip, lz4 frame) become plain files in the
 * cache directory, which the indexer maps like any other file.
 *
 * Streaming: the input is read through its mapping and written out in 1 MiB
 * pieces, so neither side is ever held whole in memory. The cache file is
 * named by a hash of (absolute path, size, mtime), written under a temporary
 * name and renamed when complete, so a crash never leaves a truncated file
 * that would be reused; a file that is already there is reused. */
#include "traceview/decompress.h"
#include "traceview/index_cache.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <lz4frame.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zlib.h>

#define OUT_CHUNK (1u << 20)
#define MAX_EXPANSION_BYTES (UINT64_C(1) << 40) /* 1 TiB: beyond, a bomb */

const char *tv_compression_of(const char *p, size_t len) {
  const unsigned char *u = (const unsigned char *)p;
  if (len >= 2 && u[0] == 0x1f && u[1] == 0x8b) return "gzip";
  if (len >= 4 && u[0] == 0x04 && u[1] == 0x22 && u[2] == 0x4d && u[3] == 0x18) return "lz4";
  return NULL;
}

typedef struct sink {
  int fd;
  uint64_t written;
  const char *file;
  tv_error_t *err;
  int64_t truncated_at; /* compressed offset where the stream ended early, or -1 */
} sink_t;

static int sink_write(sink_t *k, const void *buf, size_t n) {
  const char *p = buf;
  while (n > 0) {
    ssize_t w = write(k->fd, p, n);
    if (w < 0) {
      if (errno == EINTR) continue;
      return tv_error_set(k->err, TV_EIO, k->file, -1, "cannot write the decompressed copy: %s",
                          strerror(errno));
    }
    p += w;
    n -= (size_t)w;
    k->written += (uint64_t)w;
  }
  if (k->written > MAX_EXPANSION_BYTES)
    return tv_error_set(k->err, TV_ELIMIT, k->file, -1,
                        "decompresses to more than 1 TiB; refusing (a compression bomb?)");
  return 0;
}

static void progress(const tv_open_opts_t *o, size_t done, size_t total) {
  if (o && o->progress) o->progress(o->progress_ud, done, total);
}

static int gunzip(const tv_map_t *in, sink_t *k, const tv_open_opts_t *o) {
  z_stream z;
  memset(&z, 0, sizeof z);
  if (inflateInit2(&z, 15 + 32) != Z_OK) /* +32: gzip or zlib header */
    return tv_error_set(k->err, TV_ENOMEM, in->path, -1, "out of memory");
  unsigned char *out = malloc(OUT_CHUNK);
  if (!out) {
    inflateEnd(&z);
    return tv_error_set(k->err, TV_ENOMEM, in->path, -1, "out of memory");
  }
  size_t pos = 0;
  int rc = 0, zr = Z_OK;
  while (rc == 0) {
    if (z.avail_in == 0 && pos < in->len) {
      size_t n = in->len - pos > (1u << 30) ? (1u << 30) : in->len - pos;
      z.next_in = (unsigned char *)in->base + pos;
      z.avail_in = (uInt)n;
      pos += n;
    }
    z.next_out = out;
    z.avail_out = OUT_CHUNK;
    size_t before = z.avail_in;
    zr = inflate(&z, Z_NO_FLUSH);
    if (zr != Z_OK && zr != Z_STREAM_END && zr != Z_BUF_ERROR) {
      int64_t off = (int64_t)(pos - z.avail_in);
      rc = tv_error_set(k->err, TV_ESYNTAX, in->path, off, "corrupt gzip data (%s)",
                        z.msg ? z.msg : "inflate failed");
      break;
    }
    rc = sink_write(k, out, OUT_CHUNK - z.avail_out);
    progress(o, pos - z.avail_in, in->len);
    if (zr == Z_STREAM_END) {
      /* Concatenated gzip members are one stream to `gzip -d`: continue. */
      size_t left = z.avail_in + (in->len - pos);
      if (left == 0) break;
      size_t at = in->len - left;
      if (left < 2 || (unsigned char)in->base[at] != 0x1f) break; /* trailing padding */
      inflateReset(&z);
      continue;
    }
    if (zr == Z_BUF_ERROR && before == 0 && z.avail_in == 0 && pos >= in->len) {
      k->truncated_at = (int64_t)in->len; /* keep what was decompressed */
      break;
    }
  }
  inflateEnd(&z);
  free(out);
  return rc;
}

static int unlz4(const tv_map_t *in, sink_t *k, const tv_open_opts_t *o) {
  LZ4F_dctx *dctx;
  if (LZ4F_isError(LZ4F_createDecompressionContext(&dctx, LZ4F_VERSION)))
    return tv_error_set(k->err, TV_ENOMEM, in->path, -1, "out of memory");
  unsigned char *out = malloc(OUT_CHUNK);
  int rc = out ? 0 : tv_error_set(k->err, TV_ENOMEM, in->path, -1, "out of memory");
  size_t pos = 0, hint = 1;
  while (rc == 0 && pos < in->len && hint != 0) {
    size_t out_n = OUT_CHUNK, in_n = in->len - pos;
    hint = LZ4F_decompress(dctx, out, &out_n, in->base + pos, &in_n, NULL);
    if (LZ4F_isError(hint)) {
      rc = tv_error_set(k->err, TV_ESYNTAX, in->path, (int64_t)pos, "corrupt lz4 data (%s)",
                        LZ4F_getErrorName(hint));
      break;
    }
    pos += in_n;
    rc = sink_write(k, out, out_n);
    progress(o, pos, in->len);
    if (in_n == 0 && out_n == 0) break;
  }
  if (rc == 0 && hint != 0) k->truncated_at = (int64_t)in->len;
  LZ4F_freeDecompressionContext(dctx);
  free(out);
  return rc;
}

int tv_decompress_to_cache(const tv_map_t *in, const char *kind, const char *cache_override,
                           const tv_open_opts_t *opts, char *out_path, size_t cap,
                           int64_t *truncated_at, tv_error_t *err) {
  *truncated_at = -1;
  char dir[PATH_MAX], abs[PATH_MAX];
  /* --no-cache: a private copy in $TMPDIR that the caller unlinks once it
   * is mapped, so nothing stays behind. */
  bool private_copy = opts && opts->no_cache;
  const char *tmpdir = getenv("TMPDIR");
  if (private_copy) snprintf(dir, sizeof dir, "%s", tmpdir && *tmpdir ? tmpdir : "/tmp");
  else if (tv_cache_dir(dir, sizeof dir, cache_override) != 0)
    return tv_error_set(err, TV_EIO, in->path, -1, "cannot create the cache directory %s: %s",
                        dir, strerror(errno));
  const char *key = realpath(in->path, abs) ? abs : in->path;
  uint64_t h = 0xcbf29ce484222325ull;
  for (const char *p = key; *p; p++) h = (h ^ (unsigned char)*p) * 0x100000001b3ull;
  h = (h ^ (uint64_t)in->len) * 0x100000001b3ull;
  h = (h ^ (uint64_t)in->mtime_ns) * 0x100000001b3ull;
  if (private_copy)
    snprintf(out_path, cap, "%s/traceview-%ld-%016llx.uncompressed", dir, (long)getpid(),
             (unsigned long long)h);
  else
    snprintf(out_path, cap, "%s/%016llx.uncompressed", dir, (unsigned long long)h);
  char partial[PATH_MAX];
  snprintf(partial, sizeof partial, "%s.partial", out_path);
  struct stat st;
  if (!private_copy && stat(out_path, &st) == 0 && S_ISREG(st.st_mode)) return 0; /* done before */
  if (!private_copy && stat(partial, &st) == 0 && S_ISREG(st.st_mode)) {
    /* A truncated stream decompressed before: same prefix, same warning. */
    snprintf(out_path, cap, "%s", partial);
    *truncated_at = (int64_t)in->len;
    return 0;
  }

  char tmp[PATH_MAX];
  snprintf(tmp, sizeof tmp, "%s.%ld.tmp", out_path, (long)getpid());
  int fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
  if (fd < 0)
    return tv_error_set(err, TV_EIO, in->path, -1, "cannot write %s: %s", tmp, strerror(errno));
  sink_t k = {.fd = fd, .file = in->path, .err = err, .truncated_at = -1};
  int rc = strcmp(kind, "gzip") == 0 ? gunzip(in, &k, opts) : unlz4(in, &k, opts);
  if (close(fd) != 0 && rc == 0)
    rc = tv_error_set(err, TV_EIO, in->path, -1, "cannot write %s: %s", tmp, strerror(errno));
  *truncated_at = k.truncated_at;
  if (rc == 0 && k.truncated_at >= 0) snprintf(out_path, cap, "%s", partial);
  if (rc == 0 && rename(tmp, out_path) != 0)
    rc = tv_error_set(err, TV_EIO, in->path, -1, "cannot rename %s: %s", tmp, strerror(errno));
  if (rc) unlink(tmp);
  /* Copies are as large as the traces: keep the few newest. */
  if (rc == 0 && !private_copy) {
    tv_cache_trim(dir, ".uncompressed", TV_DECOMPRESS_CACHE_KEEP, out_path);
    tv_cache_trim(dir, ".partial", TV_DECOMPRESS_CACHE_KEEP, out_path);
  }
  return rc;
}
