/* selftrace.c: recorder behind --trace-self (see selftrace.h). */
#include "traceview/selftrace.h"

#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/syscall.h>

typedef struct phase {
  const char *name;
  char *detail;
  long tid;
  uint64_t start_ns, dur_ns;
} phase_t;

static atomic_bool enabled;
static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static phase_t *phases;
static size_t n_phases, cap_phases;
static uint64_t origin_ns;

static uint64_t now_ns(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

void tv_self_enable(void) {
  origin_ns = now_ns();
  atomic_store(&enabled, true);
}

bool tv_self_enabled(void) { return atomic_load_explicit(&enabled, memory_order_relaxed); }

uint64_t tv_self_begin(void) { return tv_self_enabled() ? now_ns() : 0; }

void tv_self_end(uint64_t start, const char *name, const char *detail) {
  if (!start || !tv_self_enabled()) return;
  uint64_t end = now_ns();
  phase_t p = {name, detail ? strdup(detail) : NULL, (long)syscall(SYS_gettid), start,
               end - start};
  pthread_mutex_lock(&lock);
  if (n_phases == cap_phases) {
    size_t cap = cap_phases ? cap_phases * 2 : 256;
    phase_t *grown = realloc(phases, cap * sizeof *grown);
    if (grown) {
      phases = grown;
      cap_phases = cap;
    }
  }
  if (n_phases < cap_phases) phases[n_phases++] = p;
  else free(p.detail);
  pthread_mutex_unlock(&lock);
}

/* JSON string body of s (names are ours; details may be file names). */
static void put_json_text(FILE *f, const char *s) {
  for (; *s; s++) {
    unsigned char c = (unsigned char)*s;
    if (c == '"' || c == '\\') fprintf(f, "\\%c", c);
    else if (c < 0x20) fprintf(f, "\\u%04x", c);
    else fputc(c, f);
  }
}

int tv_self_write(const char *path) {
  FILE *f = fopen(path, "w");
  if (!f) return -1;
  long pid = (long)getpid(), main_tid = pid;
  pthread_mutex_lock(&lock);
  fprintf(f, "{\"traceEvents\":[\n");
  fprintf(f, "{\"ph\":\"M\",\"pid\":%ld,\"tid\":%ld,\"name\":\"process_name\","
             "\"args\":{\"name\":\"traceview\"}}",
          pid, main_tid);
  fprintf(f, ",\n{\"ph\":\"M\",\"pid\":%ld,\"tid\":%ld,\"name\":\"thread_name\","
             "\"args\":{\"name\":\"main\"}}",
          pid, main_tid);
  for (size_t i = 0; i < n_phases; i++) {
    const phase_t *p = &phases[i];
    uint64_t ts = p->start_ns >= origin_ns ? p->start_ns - origin_ns : 0;
    fprintf(f, ",\n{\"ph\":\"X\",\"pid\":%ld,\"tid\":%ld,\"cat\":\"traceview\",\"name\":\"", pid,
            p->tid);
    put_json_text(f, p->name);
    fprintf(f, "\",\"ts\":%llu.%03llu,\"dur\":%llu.%03llu", (unsigned long long)(ts / 1000),
            (unsigned long long)(ts % 1000), (unsigned long long)(p->dur_ns / 1000),
            (unsigned long long)(p->dur_ns % 1000));
    if (p->detail) {
      fprintf(f, ",\"args\":{\"detail\":\"");
      put_json_text(f, p->detail);
      fprintf(f, "\"}");
    }
    fputc('}', f);
  }
  fprintf(f, "\n],\"displayTimeUnit\":\"ms\",\"otherData\":{\"producer\":\"traceview --trace-self\"}}\n");
  pthread_mutex_unlock(&lock);
  return fclose(f) == 0 ? 0 : -1;
}
