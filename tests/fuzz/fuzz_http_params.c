/* fuzz_http_params.c: libFuzzer harness for the API dispatcher (api.c) as
 * the HTTP layer calls it, without sockets: any path and query parameters
 * must give a well-formed JSON answer of bounded size with a known status,
 * never a crash, a leak or undefined behaviour.
 *
 * Input: lines separated by '\n'. The first is the path: starting with '/'
 * it is used as is, else it follows "/api/traces/<id>/" of the served test
 * trace (so the fuzzer reaches every endpoint at once). Every further line
 * is a query parameter "name=value" (a later duplicate is ignored, as
 * libmicrohttpd's lookup returns the first).
 *
 * Built with -DTV_FUZZ_REPLAY it runs the files given on the command line. */
#include "traceview/server.h"

#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define MAX_PARAMS 16
#define MAX_ANSWER (8u << 20) /* far above any answer over this small trace */

/* A small trace with what the endpoints look at: nesting, several threads,
 * a counter, instants, categories, escapes, a mangled symbol, args. */
static const char trace_json[] =
    "{\"traceEvents\":["
    "{\"name\":\"process_name\",\"ph\":\"M\",\"pid\":1,\"args\":{\"name\":\"rustc\"}},"
    "{\"name\":\"thread_name\",\"ph\":\"M\",\"pid\":1,\"tid\":2,\"args\":{\"name\":\"opt cgu.0\"}},"
    "{\"name\":\"Outer\",\"cat\":\"a\",\"ph\":\"X\",\"ts\":0,\"dur\":1000,\"pid\":1,\"tid\":1,"
    "\"args\":{\"detail\":\"_RNvCs1kTlP2L7aiK_6memchr3foo\",\"n\":[1,2,{\"x\":null}]}},"
    "{\"name\":\"Inner \\\"q\\\"\",\"cat\":\"b\",\"ph\":\"X\",\"ts\":10,\"dur\":500,\"pid\":1,\"tid\":1},"
    "{\"name\":\"Leaf\",\"ph\":\"X\",\"ts\":20,\"dur\":1,\"pid\":1,\"tid\":1,\"args\":{}},"
    "{\"name\":\"Open\",\"ph\":\"B\",\"ts\":5,\"pid\":1,\"tid\":2},"
    "{\"name\":\"Open\",\"ph\":\"E\",\"ts\":900,\"pid\":1,\"tid\":2},"
    "{\"name\":\"_ZN4core3fmt5write17h0123456789abcdefE\",\"ph\":\"X\",\"ts\":100,\"dur\":50,"
    "\"pid\":1,\"tid\":2},"
    "{\"name\":\"tick\",\"ph\":\"i\",\"ts\":150,\"pid\":1,\"tid\":2,\"s\":\"t\"},"
    "{\"name\":\"mem\",\"ph\":\"C\",\"ts\":0,\"pid\":1,\"args\":{\"v\":1,\"w\":2.5}},"
    "{\"name\":\"mem\",\"ph\":\"C\",\"ts\":700,\"pid\":1,\"args\":{\"v\":3,\"w\":-1}},"
    "{\"name\":\"Total Foo\",\"ph\":\"X\",\"ts\":0,\"dur\":1000,\"pid\":1,\"tid\":9}"
    "]}";

static tv_slot_t slots[2]; /* the trace, and the same watched (other tile caching) */

static void setup(void) {
  static int done;
  if (done) return;
  done = 1;
  for (int i = 0; i < 2; i++) {
    if (tv_slot_init(&slots[i], i ? "watched.json" : "fuzz.json", trace_json,
                     sizeof trace_json - 1, false) != 0)
      abort();
    slots[i].watched = slots[i].cur->watched = i == 1;
    tv_served_index(slots[i].cur);
    if (atomic_load(&slots[i].cur->state) != TV_SERVED_READY) {
      char msg[1200];
      fprintf(stderr, "the harness trace does not load: %s\n",
              tv_error_format(&slots[i].cur->err, msg, sizeof msg));
      abort();
    }
  }
}

typedef struct params {
  size_t n;
  char *name[MAX_PARAMS], *value[MAX_PARAMS];
} params_t;

static const char *get_param(void *ud, const char *name) {
  const params_t *p = ud;
  for (size_t i = 0; i < p->n; i++)
    if (strcmp(p->name[i], name) == 0) return p->value[i];
  return NULL;
}

static void check_reply(const tv_http_reply_t *r) {
  static const int statuses[] = {200, 400, 404, 409, 410, 422, 500};
  bool known = false;
  for (size_t i = 0; i < sizeof statuses / sizeof statuses[0]; i++) known |= r->status == statuses[i];
  if (!known || !r->body || r->len != strlen(r->body) || r->len > MAX_ANSWER) {
    fprintf(stderr, "bad reply: status %d, %zu bytes\n", r->status, r->len);
    abort();
  }
  json_error_t jerr;
  json_t *j = json_loadb(r->body, r->len, 0, &jerr);
  if (!j || (r->status != 200 && !json_is_string(json_object_get(j, "error")))) {
    fprintf(stderr, "answer is not the JSON promised (status %d): %.200s\n", r->status, r->body);
    abort();
  }
  json_decref(j);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  setup();
  if (size > 4096) return 0; /* the HTTP layer bounds URLs (64 KiB) anyway */
  char *buf = malloc(size + 1);
  if (!buf) return 0;
  memcpy(buf, data, size);
  buf[size] = '\0'; /* a NUL inside ends the input, as it ends a C string */
  params_t p = {0};
  char *line = buf, *next = strchr(line, '\n');
  if (next) *next++ = '\0';
  char path[4200];
  tv_slot_t *slot = &slots[size % 2];
  if (line[0] == '/') snprintf(path, sizeof path, "%s", line);
  else snprintf(path, sizeof path, "/api/traces/%s/%s", slot->id, line);
  while (next && p.n < MAX_PARAMS) {
    char *l = next;
    next = strchr(l, '\n');
    if (next) *next++ = '\0';
    char *eq = strchr(l, '=');
    p.name[p.n] = l;
    p.value[p.n] = eq ? eq + 1 : l + strlen(l);
    if (eq) *eq = '\0';
    p.n++;
  }
  tv_http_reply_t r = {0};
  tv_api_handle(slots, 2, path, get_param, &p, &r, NULL);
  check_reply(&r);
  free(r.body);
  free(buf);
  return 0;
}

#ifdef TV_FUZZ_REPLAY
int main(int argc, char **argv) {
  int n = 0;
  for (int i = 1; i < argc; i++) {
    FILE *f = fopen(argv[i], "rb");
    if (!f) continue;
    char buf[8192];
    size_t len = fread(buf, 1, sizeof buf, f);
    fclose(f);
    LLVMFuzzerTestOneInput((const uint8_t *)buf, len);
    n++;
  }
  printf("replayed %d inputs\n", n);
  return n > 0 ? 0 : 1;
}
#endif
