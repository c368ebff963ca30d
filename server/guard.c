/* guard.c: SIGBUS on reads of a shrunken mapping becomes an error return
 * (guard.h). sigsetjmp saves the signal mask, so SIGBUS is unblocked again
 * after the jump out of the handler. */
#include "traceview/guard.h"
#include "traceview/error.h"

#include <pthread.h>
#include <setjmp.h>
#include <signal.h>
#include <stdatomic.h>
#include <string.h>

static _Thread_local sigjmp_buf *tl_jump; /* set only inside tv_guard_call */
static struct sigaction previous;
static pthread_once_t once = PTHREAD_ONCE_INIT;
static int install_rc;

static void on_sigbus(int sig, siginfo_t *info, void *uc) {
  sigjmp_buf *jump = tl_jump;
  if (jump) {
    tl_jump = NULL;
    siglongjmp(*jump, 1);
  }
  /* Not a guarded read: put the previous action back and return, so the
   * faulting instruction runs again and fails the way it would have. */
  (void)sig, (void)info, (void)uc;
  sigaction(SIGBUS, &previous, NULL);
}

static void install(void) {
  struct sigaction sa;
  memset(&sa, 0, sizeof sa);
  sa.sa_sigaction = on_sigbus;
  sa.sa_flags = SA_SIGINFO;
  sigemptyset(&sa.sa_mask);
  install_rc = sigaction(SIGBUS, &sa, &previous) == 0 ? 0 : TV_EIO;
}

int tv_guard_install(void) {
  pthread_once(&once, install);
  return install_rc;
}

int tv_guard_call(void (*fn)(void *ud), void *ud) {
  if (tv_guard_install() != 0) return TV_EIO;
  sigjmp_buf env;
  sigjmp_buf *volatile outer = tl_jump; /* guarded calls may nest */
  if (sigsetjmp(env, 1)) {
    tl_jump = outer;
    return TV_EIO;
  }
  tl_jump = &env;
  atomic_signal_fence(memory_order_seq_cst); /* armed before fn reads */
  fn(ud);
  atomic_signal_fence(memory_order_seq_cst);
  tl_jump = outer;
  return 0;
}

typedef struct copy_job {
  void *dst;
  const void *src;
  size_t len;
} copy_job_t;

static void do_copy(void *ud) {
  copy_job_t *j = ud;
  memcpy(j->dst, j->src, j->len);
}

int tv_guard_copy(void *dst, const void *src, size_t len) {
  copy_job_t j = {dst, src, len};
  return tv_guard_call(do_copy, &j);
}
