/* pool.c: fork-join over a job array (pool.h). */
#include "traceview/pool.h"

#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdlib.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <unistd.h>

typedef struct pool {
  size_t n_jobs;
  _Atomic size_t next;
  _Atomic int failed;
  int (*run)(void *ctx, size_t job);
  void *ctx;
  bool background;
} pool_t;

static void *pool_worker(void *arg) {
  pool_t *p = arg;
#ifdef SYS_gettid
  /* Linux: nice is per thread, and this thread ends with the call. */
  if (p->background) setpriority(PRIO_PROCESS, (id_t)syscall(SYS_gettid), 10);
#endif
  for (size_t j; (j = atomic_fetch_add(&p->next, 1)) < p->n_jobs;)
    if (!atomic_load(&p->failed) && p->run(p->ctx, j) != 0) atomic_store(&p->failed, 1);
  return NULL;
}

unsigned tv_pool_threads(void) {
  /* Unset, 0 or not a number: the cores (the chunk scan and the pools agree). */
  const char *env = getenv("TRACEVIEW_THREADS");
  long n = env && *env ? strtol(env, NULL, 10) : 0;
  if (n < 1) n = sysconf(_SC_NPROCESSORS_ONLN);
  return n < 1 ? 1 : n > TV_POOL_MAX_THREADS ? TV_POOL_MAX_THREADS : (unsigned)n;
}

int tv_pool_run(size_t n_jobs, int (*run)(void *, size_t), void *ctx, unsigned flags) {
  pool_t p = {.n_jobs = n_jobs, .run = run, .ctx = ctx,
              .background = (flags & TV_POOL_BACKGROUND) != 0};
  if (n_jobs == 0) return 0;
  unsigned n = tv_pool_threads();
  if (n > n_jobs) n = (unsigned)n_jobs;
  pthread_t tids[TV_POOL_MAX_THREADS];
  unsigned started = 0;
  /* The caller works too, except in the background (its own priority stays). */
  for (unsigned i = p.background ? 0 : 1; i < n; i++)
    if (pthread_create(&tids[started], NULL, pool_worker, &p) == 0) started++;
  if (!p.background || started == 0) {
    /* In the background with no thread to be had: the caller does it all. */
    p.background = false;
    pool_worker(&p);
  }
  for (unsigned i = 0; i < started; i++) pthread_join(tids[i], NULL);
  return atomic_load(&p.failed) ? -1 : 0;
}
