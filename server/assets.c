/* assets.c: the web front end, embedded in the binary at build time (the
 * table is generated from web/ by tools/embed_assets.c), so traceview is one
 * file that runs from any directory. Lookups are exact: a path that is not in
 * the table does not exist, whatever dots or slashes it holds. */
#include "traceview/server.h"

#include <string.h>

extern const tv_asset_t tv_assets[];
extern const size_t tv_n_assets;

const tv_asset_t *tv_asset_find(const char *path) {
  for (size_t i = 0; i < tv_n_assets; i++)
    if (strcmp(tv_assets[i].path, path) == 0) return &tv_assets[i];
  return NULL;
}

const char *tv_asset_mime(const char *path) {
  static const struct {
    const char *ext, *mime;
  } types[] = {
      {".html", "text/html; charset=utf-8"}, {".js", "text/javascript; charset=utf-8"},
      {".mjs", "text/javascript; charset=utf-8"}, {".css", "text/css; charset=utf-8"},
      {".svg", "image/svg+xml"}, {".png", "image/png"}, {".json", "application/json"},
      {".ico", "image/x-icon"}, {".txt", "text/plain; charset=utf-8"},
  };
  const char *dot = strrchr(path, '.');
  for (size_t i = 0; dot && i < sizeof types / sizeof types[0]; i++)
    if (strcmp(dot, types[i].ext) == 0) return types[i].mime;
  return "application/octet-stream";
}
