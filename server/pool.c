/* pool.c: tv_run_parallel (see pool.h). */
#include "traceview/pool.h"
#include "traceview/error.h"

#include <stdlib.h>
#include <uv.h>

typedef struct pool_job {
  uv_work_t work;
  void (*fn)(void *);
  void *item;
} pool_job_t;

static void pool_job_run(uv_work_t *w) {
  pool_job_t *j = w->data;
  j->fn(j->item);
}

static void pool_job_done(uv_work_t *w, int status) {
  (void)w;
  (void)status;
}

int tv_run_parallel(void (*fn)(void *item), void *items, size_t item_size, size_t n,
                    bool worth_it) {
  char *it = items;
  if (!worth_it || n < 2) {
    for (size_t i = 0; i < n; i++) fn(it + i * item_size);
    return 0;
  }
  pool_job_t *jobs = calloc(n, sizeof *jobs);
  if (!jobs) return TV_ENOMEM;
  uv_loop_t loop;
  uv_loop_init(&loop);
  for (size_t i = 0; i < n; i++) {
    jobs[i] = (pool_job_t){.fn = fn, .item = it + i * item_size};
    jobs[i].work.data = &jobs[i];
    uv_queue_work(&loop, &jobs[i].work, pool_job_run, pool_job_done);
  }
  uv_run(&loop, UV_RUN_DEFAULT);
  uv_loop_close(&loop);
  free(jobs);
  return 0;
}
