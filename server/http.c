/* http.c: libmicrohttpd glue and the serve loop.
 *
 * Security defaults (docs/api.md): bind 127.0.0.1 unless told otherwise;
 * requests whose Host header names neither the bound address nor localhost
 * are refused (DNS rebinding); only GET/HEAD; only embedded assets and the
 * API are served, matched exactly (no file system access, no traversal); no
 * CORS headers at all; bounded connection memory, count and idle time. */
#include "traceview/index_cache.h"
#include "traceview/progress.h"
#include "traceview/server.h"
#include "traceview/guard.h"
#include "traceview/watch.h"

#include <arpa/inet.h>
#include <errno.h>
#include <ifaddrs.h>
#include <sys/random.h>
#include <microhttpd.h>
#include <netdb.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <unistd.h>
#include <uv.h>

extern char **environ;

#define CONNECTION_MEMORY (64 * 1024) /* bounds URL + headers: larger gets 414/431 */
/* Slow clients: libmicrohttpd is event driven, so a client dribbling its
 * headers costs a socket and a memory pool, not a thread. The idle timeout
 * closes one that stops; the connection limit (with the descriptor limit
 * raised to match) keeps many from exhausting descriptors; shared on a
 * network, one address may hold only PER_IP_CONNECTIONS of them. */
#define MAX_CONNECTIONS 2000
#define PER_IP_CONNECTIONS 64
#define IDLE_TIMEOUT_S 20
#define WAIT_TIMEOUT_MS 25000 /* a held `wait` answers "unchanged" after this */
#define SHUTDOWN_GRACE_MS 5000 /* in-flight requests get this long on SIGINT/SIGTERM */

/* A `wait` request held until its trace's generation moves (--watch). */
typedef struct parked {
  struct parked *next;
  struct MHD_Connection *conn;
  tv_slot_t *slot;
  uint64_t seen;      /* the generation the client has */
  uint64_t deadline;  /* uv_now() ms */
} parked_t;

typedef struct server {
  tv_slot_t *slots;
  size_t n;
  struct MHD_Daemon *daemon;
  char host[256];   /* as the user gave it */
  int port;
  uv_loop_t *loop;
  uv_signal_t sigint, sigterm;
  uv_timer_t progress_timer;
  uv_work_t *jobs;
  size_t n_done, n_started;
  tv_progress_t progress;
  bool quiet, open_browser, announced;
  int exit_code;
  char token[80];   /* "" when no token is needed (loopback, or --no-auth) */
  bool watch;
  tv_watch_t **watches;
  pthread_mutex_t park_lock; /* guards parked (request threads and the loop) */
  parked_t *parked;
  uv_timer_t park_timer;
  _Atomic int active;        /* requests between their headers and completion */
  _Atomic bool stopping;
  uv_timer_t stop_timer;
  uint64_t stop_deadline;
} server_t;

/* ---- requests ---- */

static const char *lookup_arg(void *ud, const char *name) {
  return MHD_lookup_connection_value((struct MHD_Connection *)ud, MHD_GET_ARGUMENT_KIND, name);
}

/* Host header check: the bound address or a loopback name, with our port or
 * none. Anything else may be a DNS-rebinding page in the user's browser. */
static bool host_allowed(const server_t *sv, const char *host) {
  if (!host) return false;
  size_t len = strnlen(host, 300);
  if (len == 0 || len >= 300) return false;
  char name[300];
  memcpy(name, host, len + 1);
  char *colon = strrchr(name, ':');
  const char *bracket = strchr(name, ']');
  if (colon && (!bracket || bracket < colon)) { /* "[::1]:port" or "name:port" */
    char port[16];
    snprintf(port, sizeof port, "%d", sv->port);
    if (strcmp(colon + 1, port) != 0) return false;
    *colon = '\0';
  } else if (colon && name[0] != '[') {
    return false; /* a bare IPv6 address without brackets is not a valid Host */
  }
  static const char *const loopback[] = {"localhost", "127.0.0.1", "[::1]"};
  for (size_t i = 0; i < 3; i++)
    if (strcasecmp(name, loopback[i]) == 0) return true;
  return strcasecmp(name, sv->host) == 0;
}

/* ---- access tokens (serving beyond this machine) ----
 * A non-loopback --host needs a token: the printed share URL carries it as
 * ?token=..., the first page load moves it into an HttpOnly, SameSite=Strict
 * cookie and redirects to the same URL without it (so it does not leak in
 * Referer or history), and every later request presents the cookie. */

static bool is_loopback_host(const char *host) {
  return !strcmp(host, "127.0.0.1") || !strcasecmp(host, "localhost") || !strcmp(host, "::1");
}

/* Constant-time comparison: the answer's timing says nothing of the token. */
static bool token_equal(const char *a, const char *b) {
  size_t la = strlen(a), lb = strlen(b);
  unsigned char diff = (unsigned char)(la != lb);
  for (size_t i = 0; i < la && i < lb; i++) diff |= (unsigned char)(a[i] ^ b[i]);
  return diff == 0;
}

/* The value of cookie `name` in a Cookie header, copied into out. */
static bool cookie_value(const char *header, const char *name, char *out, size_t cap) {
  size_t nlen = strlen(name);
  for (const char *p = header; p && *p;) {
    while (*p == ' ' || *p == ';') p++;
    const char *end = strchr(p, ';');
    size_t len = end ? (size_t)(end - p) : strlen(p);
    if (len > nlen && p[nlen] == '=' && !strncmp(p, name, nlen)) {
      size_t v = len - nlen - 1;
      if (v >= cap) return false;
      memcpy(out, p + nlen + 1, v);
      out[v] = '\0';
      return true;
    }
    p = end;
  }
  return false;
}

static const char unauthorized_page[] =
    "<!doctype html><meta charset=utf-8><title>traceview: link needed</title>"
    "<body style=\"font:16px system-ui;max-width:40em;margin:4em auto\">"
    "<h1>This traceview needs its share link</h1>"
    "<p>The person running <code>traceview serve</code> printed a link that ends in "
    "<code>?token=...</code>. Open that link (once per browser) to see the traces.</p>";

/* 0: allowed; else the reply is set (401, or a 303 that moves the token
 * into a cookie). */
static int check_token(const server_t *sv, struct MHD_Connection *c, const char *url,
                       tv_http_reply_t *r, bool *set_cookie) {
  *set_cookie = false;
  if (!sv->token[0]) return 0;
  char got[96];
  const char *cookies = MHD_lookup_connection_value(c, MHD_HEADER_KIND, "Cookie");
  if (cookies && cookie_value(cookies, "tv_token", got, sizeof got) && token_equal(got, sv->token))
    return 0;
  const char *param = MHD_lookup_connection_value(c, MHD_GET_ARGUMENT_KIND, "token");
  if (param && token_equal(param, sv->token)) {
    *set_cookie = true;
    if (strncmp(url, "/api/", 5) != 0) { /* a page: drop the token from the address */
      free(r->body);
      r->body = strdup("");
      r->len = 0;
      r->status = 303;
      r->content_type = "text/plain";
      return 1;
    }
    return 0;
  }
  if (strncmp(url, "/api/", 5) == 0) {
    tv_api_error(r, 401, "a share link with ?token=... is needed: ask whoever runs traceview serve");
  } else {
    r->body = strdup(unauthorized_page);
    r->len = r->body ? strlen(r->body) : 0;
    r->status = 401;
    r->content_type = "text/html; charset=utf-8";
  }
  return 1;
}

static enum MHD_Result send_reply_with(struct MHD_Connection *c, tv_http_reply_t *r, bool head,
                                       const char *cookie, const char *location);

static enum MHD_Result send_reply(struct MHD_Connection *c, tv_http_reply_t *r, bool head) {
  return send_reply_with(c, r, head, NULL, NULL);
}

static enum MHD_Result send_reply_with(struct MHD_Connection *c, tv_http_reply_t *r, bool head,
                                       const char *cookie, const char *location) {
  struct MHD_Response *resp = MHD_create_response_from_buffer(
      head ? 0 : r->len, head ? NULL : r->body, head ? MHD_RESPMEM_PERSISTENT : MHD_RESPMEM_MUST_FREE);
  if (head) free(r->body);
  r->body = NULL;
  if (!resp) return MHD_NO;
  MHD_add_response_header(resp, "Content-Type", r->content_type ? r->content_type : "text/plain");
  MHD_add_response_header(resp, "X-Content-Type-Options", "nosniff");
  MHD_add_response_header(resp, "Referrer-Policy", "no-referrer");
  MHD_add_response_header(resp, "X-Frame-Options", "DENY");
  if (r->immutable)
    MHD_add_response_header(resp, "Cache-Control", "public, max-age=31536000, immutable");
  else
    MHD_add_response_header(resp, "Cache-Control", "no-cache");
  if (r->etag[0]) MHD_add_response_header(resp, "ETag", r->etag); /* no-cache: revalidated */
  if (cookie) MHD_add_response_header(resp, "Set-Cookie", cookie);
  if (location) MHD_add_response_header(resp, "Location", location);
  if (r->content_type && strncmp(r->content_type, "text/html", 9) == 0)
    MHD_add_response_header(resp, "Content-Security-Policy",
                            "default-src 'self'; style-src 'self' 'unsafe-inline'; "
                            "img-src 'self' data:; frame-ancestors 'none'");
  enum MHD_Result ret = MHD_queue_response(c, (unsigned)r->status, resp);
  MHD_destroy_response(resp);
  return ret;
}

static void static_asset(const char *url, tv_http_reply_t *r) {
  const tv_asset_t *a = tv_asset_find(strcmp(url, "/") == 0 ? "/static/index.html" : url);
  if (!a) {
    tv_api_error(r, 404, "not found");
    return;
  }
  r->body = malloc(a->len ? a->len : 1);
  if (!r->body) {
    tv_api_error(r, 500, "out of memory");
    return;
  }
  memcpy(r->body, a->data, a->len);
  r->len = a->len;
  r->status = 200;
  r->content_type = tv_asset_mime(a->path);
}

static bool park(server_t *sv, struct MHD_Connection *c, tv_slot_t *slot, uint64_t seen,
                 void **req_cls);

static enum MHD_Result on_request(void *cls, struct MHD_Connection *c, const char *url,
                                  const char *method, const char *version,
                                  const char *upload_data, size_t *upload_data_size,
                                  void **req_cls) {
  (void)version;
  (void)upload_data;
  server_t *sv = cls;
  tv_http_reply_t r = {0};
  bool head = strcmp(method, "HEAD") == 0;
  if (*req_cls != NULL && *req_cls != sv) { /* a held `wait`, resumed */
    parked_t *p = *req_cls;
    tv_api_wait_reply(p->slot, p->seen, &r);
    return send_reply(c, &r, head);
  }
  if (*req_cls == NULL) {
    *req_cls = sv; /* first call: headers only */
    atomic_fetch_add(&sv->active, 1);
    if (strcmp(method, "GET") != 0 && !head) {
      tv_api_error(&r, 405, "only GET and HEAD are supported: the API is read-only");
      return send_reply(c, &r, false);
    }
    /* With a token, teammates may use any name for this machine; the token
     * (in a SameSite cookie) is what keeps rebinding pages out. */
    if (!sv->token[0] &&
        !host_allowed(sv, MHD_lookup_connection_value(c, MHD_HEADER_KIND, "Host"))) {
      tv_api_error(&r, 403, "Host header not allowed: open the address traceview printed");
      return send_reply(c, &r, head);
    }
    return MHD_YES;
  }
  if (*upload_data_size) { /* a GET with a body: ignore the body */
    *upload_data_size = 0;
    return MHD_YES;
  }
  bool set_cookie;
  char cookie[160] = "";
  if (sv->token[0])
    snprintf(cookie, sizeof cookie, "tv_token=%s; HttpOnly; SameSite=Strict; Path=/", sv->token);
  if (check_token(sv, c, url, &r, &set_cookie))
    return send_reply_with(c, &r, head, set_cookie ? cookie : NULL, r.status == 303 ? url : NULL);
  if (strncmp(url, "/api/", 5) == 0 || strcmp(url, "/api") == 0) {
    tv_slot_t *slot;
    tv_api_handle(sv->slots, sv->n, url, lookup_arg, c, &r, &slot);
    if (r.park && slot) {
      if (park(sv, c, slot, r.park_generation, req_cls)) return MHD_YES;
      tv_api_wait_reply(slot, r.park_generation, &r); /* cannot hold it: answer now */
    }
    const char *inm = MHD_lookup_connection_value(c, MHD_HEADER_KIND, "If-None-Match");
    if (r.status == 200 && r.etag[0] && inm && (strstr(inm, r.etag) || strcmp(inm, "*") == 0)) {
      free(r.body);
      r.body = NULL;
      r.len = 0;
      r.status = 304;
    }
  } else {
    static_asset(url, &r);
  }
  return send_reply_with(c, &r, head, set_cookie ? cookie : NULL, NULL);
}

static uint64_t now_ms(void) { return uv_hrtime() / 1000000; }

/* Holds a `wait` request: suspends its connection (no thread is blocked) and
 * lists it for the loop's timer, which resumes it when the generation moves,
 * on timeout or on shutdown. */
static bool park(server_t *sv, struct MHD_Connection *c, tv_slot_t *slot, uint64_t seen,
                 void **req_cls) {
  if (atomic_load(&sv->stopping)) return false;
  parked_t *p = calloc(1, sizeof *p);
  if (!p) return false;
  p->conn = c;
  p->slot = slot;
  p->seen = seen;
  p->deadline = now_ms() + WAIT_TIMEOUT_MS;
  *req_cls = p;
  /* Suspended before it is listed, so the loop cannot resume it first; and
   * neither call into libmicrohttpd holds park_lock, which its completion
   * callback takes (no lock-order inversion with its own mutexes). */
  MHD_suspend_connection(c);
  pthread_mutex_lock(&sv->park_lock);
  p->next = sv->parked;
  sv->parked = p;
  pthread_mutex_unlock(&sv->park_lock);
  return true;
}

/* Resumes held requests that are due (all of them when stopping). Unlinked
 * here; freed when libmicrohttpd says the request completed. */
static void resume_due(server_t *sv, bool all) {
  uint64_t now = now_ms();
  parked_t *due = NULL;
  pthread_mutex_lock(&sv->park_lock);
  for (parked_t **pp = &sv->parked; *pp;) {
    parked_t *p = *pp;
    if (all || now >= p->deadline || atomic_load(&p->slot->generation) != p->seen) {
      *pp = p->next;
      p->next = due;
      due = p;
    } else {
      pp = &p->next;
    }
  }
  pthread_mutex_unlock(&sv->park_lock);
  /* Outside the lock (see park). A suspended request cannot complete, so p
   * stays valid until its resume. */
  while (due) {
    parked_t *p = due;
    due = p->next;
    p->next = NULL;
    MHD_resume_connection(p->conn);
  }
}

static void on_park_timer(uv_timer_t *t) { resume_due(t->data, false); }

static void on_completed(void *cls, struct MHD_Connection *c, void **req_cls,
                         enum MHD_RequestTerminationCode why) {
  (void)c, (void)why;
  server_t *sv = cls;
  if (*req_cls == NULL) return;
  if (*req_cls != sv) {
    parked_t *p = *req_cls;
    pthread_mutex_lock(&sv->park_lock);
    for (parked_t **pp = &sv->parked; *pp; pp = &(*pp)->next)
      if (*pp == p) {
        *pp = p->next;
        break;
      }
    pthread_mutex_unlock(&sv->park_lock);
    free(p);
  }
  *req_cls = NULL;
  atomic_fetch_sub(&sv->active, 1);
}

/* ---- listening ---- */

static int hexval(char ch) {
  if (ch >= '0' && ch <= '9') return ch - '0';
  if (ch >= 'a' && ch <= 'f') return ch - 'a' + 10;
  if (ch >= 'A' && ch <= 'F') return ch - 'A' + 10;
  return -1;
}

static int resolve(const char *host, int port, struct sockaddr_storage *ss, socklen_t *len) {
  struct addrinfo hints = {.ai_family = AF_UNSPEC, .ai_socktype = SOCK_STREAM,
                           .ai_flags = AI_NUMERICSERV | AI_PASSIVE};
  struct addrinfo *res = NULL;
  char portstr[16];
  snprintf(portstr, sizeof portstr, "%d", port);
  if (getaddrinfo(host, portstr, &hints, &res) != 0 || !res) return -1;
  memcpy(ss, res->ai_addr, res->ai_addrlen);
  *len = res->ai_addrlen;
  freeaddrinfo(res);
  return 0;
}

/* Percent-decoding for paths and arguments that leaves "%00" as it is: a
 * NUL would silently cut a C string ("level=1%00x" read as 1). */
static size_t unescape_no_nul(void *cls, struct MHD_Connection *c, char *s) {
  (void)cls;
  (void)c;
  char *o = s;
  for (const char *p = s; *p;) {
    int hi, lo;
    if (p[0] == '%' && (hi = hexval(p[1])) >= 0 && (lo = hexval(p[2])) >= 0 && (hi | lo)) {
      *o++ = (char)(hi * 16 + lo);
      p += 3;
    } else {
      *o++ = *p++;
    }
  }
  *o = '\0';
  return (size_t)(o - s);
}

/* MAX_CONNECTIONS, or fewer when descriptors are short: the soft limit is
 * raised to the hard one first (a default 1024 would cap us below it). */
static unsigned max_connections(void) {
  struct rlimit rl;
  if (getrlimit(RLIMIT_NOFILE, &rl) != 0) return 500;
  if (rl.rlim_cur < rl.rlim_max) {
    rl.rlim_cur = rl.rlim_max;
    setrlimit(RLIMIT_NOFILE, &rl);
    getrlimit(RLIMIT_NOFILE, &rl);
  }
  rlim_t spare = 64; /* traces, the loop, the thread pool's files */
  rlim_t n = rl.rlim_cur > spare + 100 ? rl.rlim_cur - spare : 100;
  return n < MAX_CONNECTIONS ? (unsigned)n : MAX_CONNECTIONS;
}

static struct MHD_Daemon *start_daemon(server_t *sv, int port) {
  struct sockaddr_storage ss;
  socklen_t len;
  if (resolve(sv->host, port, &ss, &len) != 0) return NULL;
  /* ITC: resuming held requests and quiescing on shutdown come from the
   * loop's thread. */
  unsigned flags = MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_EPOLL | MHD_USE_ITC |
                   MHD_ALLOW_SUSPEND_RESUME;
  if (ss.ss_family == AF_INET6) flags |= MHD_USE_IPv6;
  /* Handlers compute on the polling threads (a big flame graph takes a
   * while): more threads than cores keeps one slow request from stalling a
   * large share of the connections. */
  long cores = sysconf(_SC_NPROCESSORS_ONLN);
  unsigned threads = cores > 2 ? (unsigned)(cores * 2 > 16 ? 16 : cores * 2) : 4;
  return MHD_start_daemon(flags, (uint16_t)port, NULL, NULL, on_request, sv,
                          MHD_OPTION_SOCK_ADDR, (struct sockaddr *)&ss,
                          MHD_OPTION_THREAD_POOL_SIZE, threads,
                          MHD_OPTION_CONNECTION_MEMORY_LIMIT, (size_t)CONNECTION_MEMORY,
                          MHD_OPTION_CONNECTION_LIMIT, max_connections(),
                          MHD_OPTION_PER_IP_CONNECTION_LIMIT,
                          is_loopback_host(sv->host) ? 0u : (unsigned)PER_IP_CONNECTIONS,
                          MHD_OPTION_CONNECTION_TIMEOUT, (unsigned)IDLE_TIMEOUT_S,
                          MHD_OPTION_NOTIFY_COMPLETED, on_completed, sv,
                          MHD_OPTION_UNESCAPE_CALLBACK, unescape_no_nul, NULL,
                          MHD_OPTION_END);
}

/* ---- the loop ---- */

static void url_for(const server_t *sv, char *buf, size_t cap) {
  bool v6 = strchr(sv->host, ':') != NULL;
  snprintf(buf, cap, "http://%s%s%s:%d/", v6 ? "[" : "", sv->host, v6 ? "]" : "", sv->port);
}

static void open_in_browser(const char *url) {
  pid_t pid;
  char *argv[] = {"xdg-open", (char *)url, NULL};
  if (posix_spawnp(&pid, "xdg-open", NULL, NULL, argv, environ) != 0)
    fprintf(stderr, "traceview: could not run xdg-open; open %s yourself\n", url);
}

/* With a wildcard host, the addresses teammates can use. */
static void print_share_urls(const server_t *sv) {
  if (strcmp(sv->host, "0.0.0.0") && strcmp(sv->host, "::")) return;
  struct ifaddrs *ifs;
  if (getifaddrs(&ifs) != 0) return;
  printf("traceview: share links (anyone with one can read the traces):\n");
  for (struct ifaddrs *i = ifs; i; i = i->ifa_next) {
    if (!i->ifa_addr || i->ifa_addr->sa_family != AF_INET) continue;
    char addr[INET_ADDRSTRLEN];
    inet_ntop(AF_INET, &((struct sockaddr_in *)i->ifa_addr)->sin_addr, addr, sizeof addr);
    if (!strncmp(addr, "127.", 4)) continue;
    printf("  http://%s:%d/?token=%s   (%s)\n", addr, sv->port, sv->token, i->ifa_name);
  }
  freeifaddrs(ifs);
}

static void announce(server_t *sv) {
  char url[400];
  url_for(sv, url, sizeof url);
  tv_progress_done(&sv->progress);
  size_t ok = 0;
  for (size_t i = 0; i < sv->n; i++) {
    tv_served_t *s = tv_slot_acquire(&sv->slots[i]);
    if (atomic_load(&s->state) == TV_SERVED_READY) {
      ok++;
    } else {
      char msg[1200];
      fprintf(stderr, "traceview: %s\n", tv_error_format(&s->err, msg, sizeof msg));
    }
    tv_served_release(s);
  }
  if (ok == 0 && !sv->watch) {
    sv->exit_code = 1;
    uv_stop(sv->loop);
    return;
  }
  if (sv->token[0]) {
    printf("traceview: serving %zu trace%s at %s?token=%s (Ctrl-C to stop)\n", ok,
           ok == 1 ? "" : "s", url, sv->token);
    print_share_urls(sv);
  } else {
    printf("traceview: serving %zu trace%s at %s (Ctrl-C to stop)\n", ok, ok == 1 ? "" : "s", url);
  }
  if (sv->watch && !sv->quiet)
    printf("traceview: watching for changes; open pages reload when a trace is re-indexed\n");
  fflush(stdout);
  sv->announced = true;
  if (sv->open_browser) open_in_browser(url);
}

/* Jobs hold a reference to the served trace they work on: a re-index may
 * swap it out of its slot meanwhile. */
static void index_job(uv_work_t *req) { tv_served_index(req->data); }

#define MAX_CONCURRENT_INDEXING 2 /* each job also queues its chunks on the pool */

static void index_done(uv_work_t *req, int status);

static void start_next_job(server_t *sv) {
  if (sv->n_started < sv->n) {
    uv_work_t *w = &sv->jobs[sv->n_started];
    w->data = tv_slot_acquire(&sv->slots[sv->n_started++]);
    uv_queue_work(sv->loop, w, index_job, index_done);
  }
}

/* After a trace is ready, its default flame graph (the costliest first
 * request on a big trace) is built in the background, so opening the view
 * finds it cached. */
static void warm_job(uv_work_t *req) {
  tv_served_t *s = req->data;
  if (atomic_load(&s->state) == TV_SERVED_READY) tv_served_whole_flame(s, TV_LABEL_BOTH, false);
}

static void warm_done(uv_work_t *req, int status) {
  (void)status;
  tv_served_release(req->data);
  free(req);
}

static void index_done(uv_work_t *req, int status) {
  (void)status;
  server_t *sv = req->loop->data;
  /* Ready and served: a missed index cache is written now, in the
   * background (after the warm-up in the pool's queue). */
  tv_served_queue_save(req->loop, req->data, sv->quiet);
  uv_work_t *warm = malloc(sizeof *warm);
  if (warm) {
    warm->data = req->data; /* the job's reference passes to the warm-up */
    uv_queue_work(req->loop, warm, warm_job, warm_done);
  } else {
    tv_served_release(req->data);
  }
  start_next_job(sv);
  if (++sv->n_done == sv->n) {
    uv_timer_stop(&sv->progress_timer);
    announce(sv);
  }
}

static void on_progress_timer(uv_timer_t *t) {
  server_t *sv = t->data;
  uint64_t done = 0, total = 0;
  for (size_t i = 0; i < sv->n; i++) {
    tv_served_t *s = tv_slot_acquire(&sv->slots[i]);
    done += atomic_load(&s->done_bytes);
    total += atomic_load(&s->total_bytes);
    tv_served_release(s);
  }
  tv_progress_update(&sv->progress, done, total);
}

/* Graceful stop, step 2: in-flight requests finish (bounded), then the loop
 * ends and the daemon stops. */
static void on_stop_timer(uv_timer_t *t) {
  server_t *sv = t->data;
  if (atomic_load(&sv->active) == 0 || now_ms() >= sv->stop_deadline) {
    if (atomic_load(&sv->active) && !sv->quiet)
      fprintf(stderr, "traceview: %d request%s still running after %d s; stopping anyway\n",
              atomic_load(&sv->active), atomic_load(&sv->active) == 1 ? "" : "s",
              SHUTDOWN_GRACE_MS / 1000);
    uv_stop(sv->loop);
  } else {
    resume_due(sv, true); /* a keep-alive client may have parked another */
  }
}

static void on_signal(uv_signal_t *h, int signum) {
  server_t *sv = h->data;
  if (atomic_load(&sv->stopping)) return; /* a second Ctrl-C while draining: already on it */
  if (!sv->quiet) fprintf(stderr, "\ntraceview: %s, stopping\n", signum == SIGINT ? "interrupted" : "terminated");
  /* Cache files being written are abandoned: their temporary files go now,
   * and no save renames one into place after this. */
  tv_index_cache_abandon_saves();
  if (sv->n_done < sv->n) {
    /* An indexing job cannot be cancelled midway; don't wait for it. */
    if (sv->daemon) MHD_stop_daemon(sv->daemon);
    fflush(stdout);
    _exit(130);
  }
  /* Graceful stop, step 1: no new connections, held requests answered. */
  atomic_store(&sv->stopping, true);
  MHD_socket listener = MHD_quiesce_daemon(sv->daemon);
  if (listener != MHD_INVALID_SOCKET) close(listener);
  resume_due(sv, true);
  sv->stop_deadline = now_ms() + SHUTDOWN_GRACE_MS;
  uv_timer_start(&sv->stop_timer, on_stop_timer, 0, 20);
}

int tv_serve(tv_slot_t *slots, size_t n, const tv_server_opts_t *opts) {
  server_t sv = {.slots = slots, .n = n, .quiet = opts->quiet,
                 .open_browser = opts->open_browser, .watch = opts->watch};
  snprintf(sv.host, sizeof sv.host, "%s", opts->host ? opts->host : "127.0.0.1");
  if (!is_loopback_host(sv.host) && !opts->no_auth) {
    if (opts->token) {
      snprintf(sv.token, sizeof sv.token, "%s", opts->token);
    } else {
      unsigned char raw[16];
      if (getrandom(raw, sizeof raw, 0) != (ssize_t)sizeof raw) {
        fprintf(stderr, "traceview: cannot make an access token: %s\n", strerror(errno));
        return 1;
      }
      for (size_t i = 0; i < sizeof raw; i++) snprintf(sv.token + 2 * i, 3, "%02x", raw[i]);
    }
  } else if (!is_loopback_host(sv.host)) {
    fprintf(stderr, "traceview: warning: --no-auth: anyone who can reach %s can read these "
            "traces\n", sv.host);
  }
  /* A trace truncated under us must not kill the server (guard.h). */
  if (tv_guard_install() != 0)
    fprintf(stderr, "traceview: warning: cannot install the SIGBUS guard: %s\n", strerror(errno));
  pthread_mutex_init(&sv.park_lock, NULL);
  uv_loop_t loop;
  uv_loop_init(&loop);
  loop.data = &sv;
  sv.loop = &loop;
  sv.daemon = start_daemon(&sv, opts->port);
  if (!sv.daemon && opts->port != 0) {
    fprintf(stderr, "traceview: port %d is not available on %s; picking a free one\n", opts->port,
            sv.host);
    sv.daemon = start_daemon(&sv, 0);
  }
  if (!sv.daemon) {
    fprintf(stderr, "traceview: cannot listen on %s: %s\n", sv.host,
            errno ? strerror(errno) : "invalid address");
    uv_loop_close(&loop);
    pthread_mutex_destroy(&sv.park_lock);
    return 1;
  }
  const union MHD_DaemonInfo *info = MHD_get_daemon_info(sv.daemon, MHD_DAEMON_INFO_BIND_PORT);
  sv.port = info ? info->port : opts->port;
  char url[400];
  url_for(&sv, url, sizeof url);
  if (!sv.quiet)
    fprintf(stderr, "traceview: indexing %zu trace%s; the viewer at %s%s%s shows progress\n", n,
            n == 1 ? "" : "s", url, sv.token[0] ? "?token=" : "", sv.token);

  tv_progress_init(&sv.progress, n == 1 ? slots[0].cur->name : "traces", sv.quiet ? 0 : 2);
  uv_timer_init(&loop, &sv.progress_timer);
  sv.progress_timer.data = &sv;
  uv_timer_start(&sv.progress_timer, on_progress_timer, 100, 100);
  uv_timer_init(&loop, &sv.park_timer);
  sv.park_timer.data = &sv;
  uv_timer_start(&sv.park_timer, on_park_timer, 250, 250);
  uv_timer_init(&loop, &sv.stop_timer);
  sv.stop_timer.data = &sv;
  uv_signal_init(&loop, &sv.sigint);
  uv_signal_init(&loop, &sv.sigterm);
  sv.sigint.data = sv.sigterm.data = &sv;
  uv_signal_start(&sv.sigint, on_signal, SIGINT);
  uv_signal_start(&sv.sigterm, on_signal, SIGTERM);
  /* Watches start before indexing: a change during the first index is seen. */
  if (sv.watch) sv.watches = calloc(n, sizeof *sv.watches);
  for (size_t i = 0; sv.watches && i < n; i++)
    if (slots[i].watched) sv.watches[i] = tv_watch_start(&loop, &slots[i], sv.quiet);
  sv.jobs = calloc(n, sizeof *sv.jobs);
  for (size_t i = 0; i < MAX_CONCURRENT_INDEXING && sv.jobs; i++) start_next_job(&sv);
  uv_run(&loop, UV_RUN_DEFAULT);

  /* Stop accepting (if a signal did not already), answer what is held, tear down;
   * background cache saves give up (the final uv_run waits for their jobs). */
  tv_index_cache_abandon_saves();
  atomic_store(&sv.stopping, true);
  resume_due(&sv, true);
  MHD_stop_daemon(sv.daemon);
  for (size_t i = 0; sv.watches && i < n; i++) tv_watch_stop(sv.watches[i]);
  uv_timer_stop(&sv.progress_timer);
  uv_close((uv_handle_t *)&sv.progress_timer, NULL);
  uv_close((uv_handle_t *)&sv.park_timer, NULL);
  uv_close((uv_handle_t *)&sv.stop_timer, NULL);
  uv_close((uv_handle_t *)&sv.sigint, NULL);
  uv_close((uv_handle_t *)&sv.sigterm, NULL);
  uv_run(&loop, UV_RUN_DEFAULT); /* runs the close callbacks and pending jobs */
  uv_loop_close(&loop);
  free(sv.jobs);
  free(sv.watches);
  pthread_mutex_destroy(&sv.park_lock);
  return sv.exit_code;
}
