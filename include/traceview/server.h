/* server.h: the HTTP daemon behind `traceview serve`.
 *
 * Threads: the caller's thread runs a libuv loop (signals, progress display,
 * file watching, completion of indexing jobs); traces are indexed on the
 * libuv thread pool; libmicrohttpd answers requests on its own threads. A
 * served trace (one index of one file) moves INDEXING -> READY (or ERROR)
 * exactly once, published with a release store; request threads read it with
 * an acquire load and never touch a trace that is not READY, so the index
 * needs no lock.
 *
 * A slot is one file across re-indexing (--watch): it holds the current
 * served trace and its generation. Requests take a reference to the current
 * one (tv_slot_acquire) and drop it when answered; a re-index builds a new
 * served trace beside the old and swaps it in (tv_slot_swap); the old one is
 * freed when its last request lets go. So a request sees one index from
 * start to end, and the swap never waits for requests. */
#ifndef TRACEVIEW_SERVER_H
#define TRACEVIEW_SERVER_H

#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>
#include "traceview/flame.h"
#include "traceview/lod.h"
#include "traceview/trace.h"

enum { TV_SERVED_INDEXING = 0, TV_SERVED_READY = 1, TV_SERVED_ERROR = 2 };

#define TV_OVERVIEW_BUCKETS 4096
/* The fraction of the root's total the cached whole-trace flame trees are
 * pruned at: the finest min_frac the web UI asks for when zoomed in (5e-6,
 * web/views/flame_view.js detailFor), so every UI request of the whole trace
 * is answered from the cache. About 2 B per event on the LLVM bench trace
 * (docs/performance.md). */
#define TV_FLAME_CACHE_FRAC 5e-6

/* A track as the API numbers it: a thread's slices or one counter series. */
typedef struct tv_track {
  bool is_counter;
  uint32_t index; /* into store threads or counters */
} tv_track_t;

typedef struct tv_served {
  char id[16];              /* stable: hash of the absolute path */
  char *path;               /* as given */
  char *name;               /* base name */
  const void *mem;          /* bundled bytes instead of a file, or NULL */
  size_t mem_len;
  const char *cache_dir;    /* index cache directory (NULL: the default) */
  bool no_cache;            /* --no-cache */
  _Atomic int state;        /* TV_SERVED_* */
  _Atomic uint64_t done_bytes, total_bytes;
  tv_error_t err;           /* when ERROR */
  tv_trace_t trace;         /* valid when READY */
  tv_lod_t *lods;           /* per store thread (trace.lods) */
  tv_track_t *tracks;       /* API track number -> what it is */
  size_t n_tracks;
  int64_t *track_of_thread; /* store thread -> API track number, -1 if unlisted */
  int64_t overview[TV_OVERVIEW_BUCKETS]; /* busy ns of depth-0 slices */
  char *meta_json;          /* cached /meta answer */
  _Atomic(char *) *display; /* per string id: demangled text, filled lazily */
  /* Whole-trace flame trees per label kind, [label][inverted], pruned at
   * TV_FLAME_CACHE_FRAC, built on first use (both views at once): the
   * default view of a big trace costs one build, not one per request, and
   * not a full tree held for the life of the trace. */
  pthread_mutex_t flame_lock;
  tv_flame_t *whole_flame[3][2];
  uint64_t generation;      /* 1 for the first index of a file, +1 per re-index */
  bool watched;             /* --watch: the file may be re-indexed (no immutable tiles) */
  _Atomic unsigned refs;    /* private: see tv_slot_acquire */
  _Atomic bool save_cancel; /* private: the background cache save gives up
                               (set when a re-index replaces this one) */
} tv_served_t;

typedef struct tv_slot {
  char id[16];              /* read-only: the served traces' id (stable) */
  pthread_mutex_t lock;     /* private: guards cur while taking a reference */
  tv_served_t *cur;         /* private: the current index (holds a reference) */
  _Atomic uint64_t generation; /* read-only: cur's generation */
  bool watched;             /* read-only: --watch */
} tv_slot_t;

typedef struct tv_server_opts {
  const char *host;         /* default 127.0.0.1 */
  int port;                 /* 0 = any free port */
  bool open_browser;
  bool quiet;
  const char *token;        /* access token for a non-loopback host; NULL: random */
  bool no_auth;             /* serve a non-loopback host without a token */
  bool watch;               /* re-index a file that changes (server/watch.c) */
} tv_server_opts_t;

/** runs `serve` until SIGINT/SIGTERM: indexes, serves, prints the URL.
 *  Returns the process exit code. */
int tv_serve(tv_slot_t *slots, size_t n, const tv_server_opts_t *opts);

/** a slot with a first, not yet indexed, served trace (generation 1) */
int tv_slot_init(tv_slot_t *slot, const char *path, const void *mem, size_t len, bool watched);
/** the current served trace with a reference taken: release it when done */
tv_served_t *tv_slot_acquire(tv_slot_t *slot);
/** makes next (READY, generation set) current; drops the slot's reference
 *  to the previous one, which is freed when its last request releases it */
void tv_slot_swap(tv_slot_t *slot, tv_served_t *next);
void tv_slot_free(tv_slot_t *slot);
/** a new served trace (one reference held by the caller), or NULL */
tv_served_t *tv_served_new(const char *path, const void *mem, size_t len, uint64_t generation,
                           bool watched);
/** drops a reference; the last one frees s */
void tv_served_release(tv_served_t *s);

/** prepares (does not index) a served trace for a file or bundled bytes */
int tv_served_init(tv_served_t *s, const char *path, const void *mem, size_t len);
/** indexes s (blocking): trace, LOD pyramids, tracks, overview, meta. On a
 *  cache miss the cache file is not written yet: see tv_served_queue_save */
void tv_served_index(tv_served_t *s);
/** once s is READY: writes its index cache file on the loop's thread pool
 *  (taking a reference meanwhile), if its open missed the cache. Requests
 *  are served meanwhile; a warning on failure unless quiet. */
struct uv_loop_s;
void tv_served_queue_save(struct uv_loop_s *loop, tv_served_t *s, bool quiet);
void tv_served_free(tv_served_t *s);
/** the cached whole-trace flame tree pruned at TV_FLAME_CACHE_FRAC (built on
 *  first use; NULL on out of memory); valid while s lives. Pruning it at a
 *  min_frac >= TV_FLAME_CACHE_FRAC answers what pruning the full tree would
 *  (tv_flame_prune); anything finer needs a tree built from the store. */
const tv_flame_t *tv_served_whole_flame(tv_served_t *s, tv_flame_label_t label, bool inverted);
/** text to show for a string id (demangled when it is a mangled symbol) */
const char *tv_served_display(tv_served_t *s, uint32_t id, size_t *len);

/* ---- the API (api.c), used by http.c ---- */
typedef struct tv_http_reply {
  int status;
  char *body;               /* malloc'd */
  size_t len;
  const char *content_type;
  bool immutable;           /* cacheable forever (tiles) */
  char etag[64];
  bool park;                /* `wait`: no answer yet; hold the request until
                               the generation moves (tv_api_wait_reply) */
  uint64_t park_generation; /* with park: the generation the client has */
} tv_http_reply_t;

typedef const char *(*tv_param_fn)(void *ud, const char *name);

/** answers an API path ("/api/..."); params looked up through get. Sets
 *  reply->park (and *slot_out) for a `wait` that must be held. */
void tv_api_handle(tv_slot_t *slots, size_t n, const char *path, tv_param_fn get, void *ud,
                   tv_http_reply_t *reply, tv_slot_t **slot_out);
/** the answer to a held `wait`: the slot's generation now */
void tv_api_wait_reply(tv_slot_t *slot, uint64_t seen, tv_http_reply_t *reply);
/** sets a JSON error reply */
void tv_api_error(tv_http_reply_t *reply, int status, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* ---- embedded web assets (assets.c + generated table) ---- */
typedef struct tv_asset {
  const char *path; /* "/static/app.js" */
  const unsigned char *data;
  size_t len;
} tv_asset_t;

/** the asset at an exact path, or NULL */
const tv_asset_t *tv_asset_find(const char *path);
/** MIME type from the path's extension */
const char *tv_asset_mime(const char *path);

#endif
