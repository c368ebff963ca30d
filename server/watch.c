/* watch.c: re-index served files that change (watch.h). Runs on the serve
 * loop's thread, except the indexing itself (thread pool). */
#include "traceview/watch.h"

#include <libgen.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

/* What identifies a version of the file: a rewrite changes one of these. */
typedef struct file_id {
  bool exists;
  uint64_t size, ino;
  int64_t mtime_ns;
} file_id_t;

struct tv_watch {
  uv_loop_t *loop;
  tv_slot_t *slot;
  char *path, *dir, *base;
  bool quiet;
  uv_fs_event_t event;      /* on the directory: survives the file being renamed over */
  uv_fs_poll_t poll;
  uv_timer_t timer;
  int open_handles;
  bool stopping, running, dirty, has_event;
  uv_work_t job;
  tv_served_t *next;        /* being indexed */
  file_id_t seen;           /* at the last event: "stable" means unchanged since */
  file_id_t indexed;        /* what the current index (or the one running) read */
  file_id_t indexing;
  uint64_t job_start_ms;
};

static file_id_t file_id(const char *path) {
  struct stat st;
  if (stat(path, &st) != 0) return (file_id_t){0};
  return (file_id_t){true, (uint64_t)st.st_size, (uint64_t)st.st_ino,
                     (int64_t)st.st_mtim.tv_sec * 1000000000 + st.st_mtim.tv_nsec};
}

static bool same_file(file_id_t a, file_id_t b) {
  return a.exists == b.exists && a.size == b.size && a.ino == b.ino && a.mtime_ns == b.mtime_ns;
}

static void maybe_free(tv_watch_t *w) {
  if (w->stopping && w->open_handles == 0 && !w->running) {
    free(w->path);
    free(w->dir);
    free(w->base);
    free(w);
  }
}

static void on_closed(uv_handle_t *h) {
  tv_watch_t *w = h->data;
  w->open_handles--;
  maybe_free(w);
}

static void on_quiet(uv_timer_t *t);

static void changed(tv_watch_t *w) {
  if (w->stopping) return;
  w->seen = file_id(w->path);
  uv_timer_start(&w->timer, on_quiet, WATCH_QUIET_MS, 0);
}

static void on_event(uv_fs_event_t *h, const char *name, int events, int status) {
  (void)events;
  tv_watch_t *w = h->data;
  if (status == 0 && name && strcmp(name, w->base) != 0) return; /* another file there */
  changed(w);
}

static void on_poll(uv_fs_poll_t *h, int status, const uv_stat_t *prev, const uv_stat_t *curr) {
  (void)status, (void)prev, (void)curr;
  changed(h->data);
}

static void index_job(uv_work_t *req) { tv_served_index(((tv_watch_t *)req->data)->next); }

static void index_done(uv_work_t *req, int status) {
  (void)status;
  tv_watch_t *w = req->data;
  tv_served_t *next = w->next;
  w->next = NULL;
  w->running = false;
  w->indexed = w->indexing; /* a broken version is not retried until it changes again */
  if (w->stopping) {
    tv_served_release(next);
    maybe_free(w);
    return;
  }
  double secs = (double)(uv_hrtime() / 1000000 - w->job_start_ms) / 1000;
  if (atomic_load(&next->state) == TV_SERVED_READY) {
    uint64_t g = next->generation;
    tv_served_queue_save(w->loop, next, w->quiet); /* after it is served, as the first index */
    tv_slot_swap(w->slot, next); /* the slot's reference now */
    if (!w->quiet) {
      printf("traceview: %s changed: re-indexed in %.1f s (generation %llu)\n", w->base, secs,
             (unsigned long long)g);
      fflush(stdout);
    }
  } else {
    char msg[1200];
    fprintf(stderr, "traceview: %s changed but cannot be re-indexed: %s; still serving the "
            "previous index\n", w->base, tv_error_format(&next->err, msg, sizeof msg));
    tv_served_release(next);
  }
  if (w->dirty) {
    w->dirty = false;
    changed(w);
  }
}

static void on_quiet(uv_timer_t *t) {
  tv_watch_t *w = t->data;
  if (w->running) {
    w->dirty = true; /* looked at again when the running re-index ends */
    return;
  }
  file_id_t now = file_id(w->path);
  if (!same_file(now, w->seen)) { /* still being written */
    w->seen = now;
    uv_timer_start(&w->timer, on_quiet, WATCH_QUIET_MS, 0);
    return;
  }
  if (!now.exists || same_file(now, w->indexed)) return; /* gone (for now), or a false alarm */
  tv_served_t *cur = tv_slot_acquire(w->slot);
  int state = atomic_load(&cur->state);
  uint64_t generation = cur->generation;
  const char *cache_dir = cur->cache_dir;
  bool no_cache = cur->no_cache;
  tv_served_release(cur);
  if (state == TV_SERVED_INDEXING) { /* the first index is still running: later */
    uv_timer_start(&w->timer, on_quiet, WATCH_QUIET_MS, 0);
    return;
  }
  w->next = tv_served_new(w->path, NULL, 0, generation + 1, true);
  if (!w->next) {
    fprintf(stderr, "traceview: out of memory re-indexing %s\n", w->path);
    return;
  }
  w->next->cache_dir = cache_dir; /* the rewritten file's index is cached too */
  w->next->no_cache = no_cache;
  w->indexing = now;
  w->running = true;
  w->job_start_ms = uv_hrtime() / 1000000;
  w->job.data = w;
  if (uv_queue_work(w->loop, &w->job, index_job, index_done) != 0) {
    w->running = false;
    tv_served_release(w->next);
    w->next = NULL;
  }
}

tv_watch_t *tv_watch_start(uv_loop_t *loop, tv_slot_t *slot, bool quiet) {
  tv_watch_t *w = calloc(1, sizeof *w);
  tv_served_t *cur = tv_slot_acquire(slot);
  if (w) {
    w->loop = loop;
    w->slot = slot;
    w->quiet = quiet;
    w->path = strdup(cur->path);
    char *a = strdup(cur->path), *b = strdup(cur->path);
    if (a && b) {
      w->dir = strdup(dirname(a));
      w->base = strdup(basename(b));
    }
    free(a);
    free(b);
  }
  tv_served_release(cur);
  if (!w || !w->path || !w->dir || !w->base) {
    fprintf(stderr, "traceview: out of memory starting --watch\n");
    if (w) {
      w->stopping = true;
      maybe_free(w);
    }
    return NULL;
  }
  /* What the first index reads (it starts after this). */
  w->indexed = w->seen = file_id(w->path);
  uv_timer_init(loop, &w->timer);
  w->timer.data = w;
  w->open_handles++;
  int rc = uv_fs_event_init(loop, &w->event);
  if (rc == 0) {
    w->event.data = w;
    w->has_event = true;
    w->open_handles++;
    rc = uv_fs_event_start(&w->event, on_event, w->dir, 0);
    if (rc != 0 && !quiet)
      fprintf(stderr, "traceview: --watch: no change events for %s (%s); polling every %d ms\n",
              w->dir, uv_strerror(rc), WATCH_POLL_MS);
  }
  /* The poll also covers what events miss (network file systems). */
  uv_fs_poll_init(loop, &w->poll);
  w->poll.data = w;
  w->open_handles++;
  uv_fs_poll_start(&w->poll, on_poll, w->path, WATCH_POLL_MS);
  return w;
}

void tv_watch_stop(tv_watch_t *w) {
  if (!w || w->stopping) return;
  w->stopping = true;
  uv_close((uv_handle_t *)&w->timer, on_closed);
  if (w->has_event) uv_close((uv_handle_t *)&w->event, on_closed);
  uv_close((uv_handle_t *)&w->poll, on_closed);
}
