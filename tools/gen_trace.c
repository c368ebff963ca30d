/*
 * gen_trace: deterministic generator of large, realistic Chrome traces for
 * benchmarking and testing traceview. Standalone C11, libc + libm only.
 *
 *   gen_trace [--size BYTES | --events N] [--seed S] [--threads T]
 *             [--shape llvm|chromium] [-o OUT] [--quiet]
 *
 * Same arguments and seed -> byte-identical output.
 *
 * Shape "llvm" (default) mimics `rustc -Zllvm-time-trace` output:
 *   - One single line, no trailing newline:
 *       {"traceEvents":[EVENT,EVENT,...],"beginningOfTime":N}
 *   - Slices: {"pid":P,"tid":T,"ts":N,"ph":"X","dur":N,"name":"...",
 *              "args":{"detail":"..."}}  (integer microseconds; a few kinds
 *     such as "Parse metadata" carry no args).
 *   - One thread per codegen unit and phase: T "opt cgu.NN" threads (the
 *     pre-link O3 new-pass-manager pipeline), one "coordinator" event, then
 *     T "lto cgu.NN" threads (ThinLTO import + post-link pipeline + legacy
 *     codegen: OptModule > OptFunction > RunPass). Each thread's events form
 *     one contiguous block, written in completion order (children before
 *     parents), as LLVM's time-trace profiler does. Depth reaches ~11
 *     (ModuleInlinerWrapperPass > ... > PassManager<Loop, ...> > LICMPass >
 *     MemorySSAAnalysis > DominatorTreeAnalysis).
 *   - Times are simulated in nanoseconds and written as floor(start/1000)
 *     and floor(end/1000) - floor(start/1000), so nesting is exact per
 *     thread, and sibling/child events can share a microsecond like the real
 *     thing (so nesting by time containment alone can look a few levels
 *     deeper than 11). About 29% of slices have "dur":0; durations have
 *     p50 1 us, p90 ~30 us, p99 ~1 ms; ~190 bytes per event, so --size 1.4G
 *     gives ~7.3-7.8 M events.
 *   - args.detail: "[module]", "crate.hash-cgu.NN", "(sym, sym)" for CGSCC
 *     passes, codegen pass names for RunPass/RunLoopPass, LLVM intrinsics,
 *     and mostly Rust v0 manglings (_RNvNtCs..._5crate3mod4func) that are
 *     structurally valid, with back-references, and demangle (checked
 *     with binutils c++filt) to paths such as `tessera::lexer::next_token`,
 *     `<tessera::ast::Expr as core::fmt::Debug>::fmt` or
 *     `core::ptr::drop_in_place::<alloc::vec::Vec<...>>`. Symbols come from
 *     a deterministic pool whose size grows with the trace; a few hot
 *     generic instantiations recur across codegen units, and function
 *     "sizes" are log-normal so a few functions dominate the group-bys.
 *   - Then LLVM's summary events, sorted by total duration:
 *       {"pid":P,"tid":FAKE,"ph":"X","ts":0,"dur":N,"name":"Total NAME",
 *        "args":{"count":N,"avg ms":N}}   (one fake tid each)
 *   - Then metadata: process_name/thread_name "rustc" and one thread_name
 *     per thread: {"cat":"","pid":P,"tid":T,"ts":0,"ph":"M",
 *     "name":"thread_name","args":{"name":"opt cgu.03"}}
 *   --threads T sets the number of codegen units (default 16 -> 33 threads).
 *
 * Shape "chromium" mimics a Chrome/Perfetto JSON export:
 *   - {"traceEvents":[\n EVENT,\n EVENT,\n ... \n],\n"metadata":{...}}\n,
 *     one event per line, keys sorted as Perfetto writes them.
 *   - ~100 threads in 8 processes (browser, GPU, 5 renderers, network);
 *     --threads T scales the worker-thread counts instead.
 *   - Task trees under "ThreadControllerImpl::RunTask" as X slices (with
 *     tts/tdur on main threads) or B/E pairs, "I"/"i" instants, "C"
 *     counters with one or two series; M metadata first.
 *   - One renderer writes fractional microseconds ("ts":123.456).
 *   - Some names and args exercise the JSON reader: escaped quotes,
 *     \uXXXX escapes (incl. a surrogate pair), raw UTF-8, backslashes, and
 *     strings containing `},{` and `"ph":"B"`.
 *
 * --size accepts K/M/G suffixes (powers of 1024); --events accepts K/M/G as
 * powers of 1000. GEN_TRACE_DEBUG=1 prints the size calibration.
 * Sizes and event counts are met approximately (within a few
 * percent for anything above ~1 MB); the output is never empty or invalid.
 */
#include <errno.h>
#include <inttypes.h>
#include <math.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

/* ------------------------------------------------------------------ */
/* PRNG: splitmix64; fast, tiny, and good enough for synthetic data.   */

typedef struct { uint64_t s; } rng_t;

static uint64_t mix64(uint64_t z)
{
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    return z ^ (z >> 31);
}

static inline uint64_t rng_next(rng_t *r)
{
    r->s += 0x9e3779b97f4a7c15ULL;
    return mix64(r->s);
}

static inline double rng_unit(rng_t *r) /* [0,1) */
{
    return (double)(rng_next(r) >> 11) * (1.0 / 9007199254740992.0);
}

static inline uint32_t rng_below(rng_t *r, uint32_t n) /* [0,n) */
{
    return n ? (uint32_t)(((rng_next(r) >> 32) * (uint64_t)n) >> 32) : 0;
}

static inline int rng_pct(rng_t *r, unsigned pct) { return rng_below(r, 100) < pct; }

static double rng_normal(rng_t *r)
{
    double u = rng_unit(r), v = rng_unit(r);
    if (u < 1e-300)
        u = 1e-300;
    return sqrt(-2.0 * log(u)) * cos(6.283185307179586 * v);
}

static double rng_lognormal(rng_t *r, double mu, double sigma)
{
    return exp(mu + sigma * rng_normal(r));
}

/* Geometric-ish count: each further step continues with probability p. */
static unsigned rng_geom(rng_t *r, double p, unsigned max)
{
    unsigned n = 0;
    while (n < max && rng_unit(r) < p)
        n++;
    return n;
}

/* ------------------------------------------------------------------ */
/* Output: one big buffer, raw memcpy; printf per field is too slow.   */

typedef struct {
    FILE *f;
    char *buf;
    size_t len, cap;
    uint64_t total;   /* bytes produced so far (also when discarding) */
    int discard;      /* calibration runs count bytes but write nothing */
    int failed;
} out_t;

static void out_flush(out_t *o)
{
    if (o->len && !o->discard && !o->failed &&
        fwrite(o->buf, 1, o->len, o->f) != o->len)
        o->failed = errno ? errno : EIO;
    o->len = 0;
}

/* Make room for n more bytes; returns the write position. */
static inline char *out_reserve(out_t *o, size_t n)
{
    if (o->len + n > o->cap)
        out_flush(o);
    if (n > o->cap) {
        fprintf(stderr, "gen_trace: internal error: record of %zu bytes\n", n);
        exit(3);
    }
    return o->buf + o->len;
}

static inline void out_commit(out_t *o, char *end)
{
    size_t n = (size_t)(end - (o->buf + o->len));
    o->len += n;
    o->total += n;
}

static void out_mem(out_t *o, const void *s, size_t n)
{
    char *p = out_reserve(o, n);
    memcpy(p, s, n);
    out_commit(o, p + n);
}

static void out_str(out_t *o, const char *s) { out_mem(o, s, strlen(s)); }

static void out_fmt(out_t *o, const char *fmt, ...)
{
    char tmp[1024];
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(tmp, sizeof tmp, fmt, ap);
    va_end(ap);
    if (n > 0)
        out_mem(o, tmp, (size_t)n < sizeof tmp ? (size_t)n : sizeof tmp - 1);
}

static const char DIGITS2[] =
    "00010203040506070809101112131415161718192021222324252627282930313233343536373839"
    "40414243444546474849505152535455565758596061626364656667686970717273747576777879"
    "8081828384858687888990919293949596979899";

static inline char *put_u64(char *p, uint64_t v)
{
    char tmp[24];
    char *e = tmp + sizeof tmp, *q = e;
    while (v >= 100) {
        unsigned d = (unsigned)(v % 100) * 2;
        v /= 100;
        *--q = DIGITS2[d + 1];
        *--q = DIGITS2[d];
    }
    if (v >= 10) {
        *--q = DIGITS2[v * 2 + 1];
        *--q = DIGITS2[v * 2];
    } else {
        *--q = (char)('0' + v);
    }
    size_t n = (size_t)(e - q);
    memcpy(p, q, n);
    return p + n;
}

/* ns -> microseconds with exactly three decimals ("123.045"). */
static inline char *put_us_frac(char *p, uint64_t ns)
{
    p = put_u64(p, ns / 1000);
    unsigned f = (unsigned)(ns % 1000);
    p[0] = '.';
    p[1] = (char)('0' + f / 100);
    p[2] = (char)('0' + f / 10 % 10);
    p[3] = (char)('0' + f % 10);
    return p + 4;
}

#define PUT_LIT(p, s) (memcpy((p), (s), sizeof(s) - 1), (p) += sizeof(s) - 1)

static inline char *put_mem(char *p, const char *s, size_t n)
{
    memcpy(p, s, n);
    return p + n;
}

/* ------------------------------------------------------------------ */
/* Rust v0 symbol construction.                                        */

typedef struct { const char *name; uint64_t hash; } crate_t;

/* The crate being compiled comes first; the name is picked by seed. */
static const char *LOCAL_CRATES[] = {
    "tessera", "quartz_engine", "lumen_db", "cinderkit", "orbital_core", "brightline",
};
static const char *DEP_CRATES[] = {
    "core", "alloc", "std", "hashbrown", "serde", "serde_json", "smallvec",
    "indexmap", "bytes", "tokio", "memchr", "regex_syntax", "syn", "proc_macro2",
};
enum { CR_LOCAL = 0, CR_CORE = 1, CR_ALLOC = 2, CR_STD = 3, NCRATES = 15 };

static const char *MODULES[] = {
    "parse", "lexer", "ast", "hir", "mir", "codegen", "util", "fmt", "iter", "vec",
    "raw_vec", "slice", "str", "ptr", "option", "result", "sync", "collections",
    "io", "net", "mem", "num", "cmp", "hash", "buffer", "token", "span", "error",
    "config", "cache", "runtime", "task", "sched", "driver", "matcher", "state",
    "storage", "index", "query", "planner", "exec", "encode", "decode", "de", "ser",
    "visit", "resolve", "types", "layout", "builder", "pool", "arena", "intern",
    "diagnostics", "session", "metrics", "render", "raster", "shader", "mesh",
};
static const char *FUNCS[] = {
    "new", "from_str", "parse_expr", "parse_item", "next", "next_token", "push",
    "extend", "with_capacity", "clone", "eq", "insert", "get", "get_mut",
    "reserve", "grow_one", "remove", "visit_expr", "visit_item", "lower_item",
    "emit", "resolve_path", "try_fold", "map", "and_then", "unwrap_or_else",
    "into_iter", "collect", "len", "write_str", "finish", "build", "from_iter",
    "spawn", "poll", "run", "step", "compile", "encode", "decode", "serialize",
    "deserialize", "read_to_end", "flush", "lookup", "intern", "hash_one",
    "binary_search_by", "sort_unstable", "retain", "drain", "split_at", "find",
    "matches", "advance", "peek", "expect_token", "check_types", "infer",
    "layout_of", "alloc_slice", "with_context", "report", "render_frame",
    "rasterize", "bind_group", "upload", "record", "schedule", "wake", "tick",
};
static const char *TYPES[] = {
    "Parser", "Lexer", "Token", "Span", "Expr", "Item", "Config", "Builder",
    "Error", "Cache", "State", "Node", "Interner", "Session", "Query", "Plan",
    "Executor", "Encoder", "Decoder", "Visitor", "Resolver", "TypeChecker",
    "Layout", "Arena", "Pool", "Metrics", "Frame", "Mesh", "Shader", "Buffer",
    "Index", "Table", "Row", "Column", "Cursor", "Handle", "Waker", "Task",
};
typedef struct { int crate; const char *mods[3]; int nmods; const char *trait, *method; } trait_t;
static const trait_t TRAITS[] = {
    {CR_CORE, {"fmt"}, 1, "Debug", "fmt"},
    {CR_CORE, {"fmt"}, 1, "Display", "fmt"},
    {CR_CORE, {"clone"}, 1, "Clone", "clone"},
    {CR_CORE, {"cmp"}, 1, "PartialEq", "eq"},
    {CR_CORE, {"cmp"}, 1, "Ord", "cmp"},
    {CR_CORE, {"hash"}, 1, "Hash", "hash"},
    {CR_CORE, {"ops", "drop"}, 2, "Drop", "drop"},
    {CR_CORE, {"iter", "traits", "iterator"}, 3, "Iterator", "next"},
    {CR_CORE, {"default"}, 1, "Default", "default"},
    {CR_CORE, {"future", "future"}, 2, "Future", "poll"},
};
static const char *VEC_METHODS[] = {
    "push", "reserve", "extend_desugared", "insert", "remove", "truncate",
    "with_capacity", "grow_one", "retain_mut", "dedup_by",
};

typedef struct {
    char *p;
    size_t n, cap;
    size_t base;         /* offset just after "_R": backrefs count from here */
    uint64_t memo_key[16];
    size_t memo_pos[16];
    int nmemo;
} sb_t;

static const char B62[] = "0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ";

static void sb_ch(sb_t *b, char c)
{
    if (b->n + 1 < b->cap)
        b->p[b->n++] = c;
}

static void sb_s(sb_t *b, const char *s)
{
    while (*s)
        sb_ch(b, *s++);
}

/* v0 <base-62-number>: "_" is 0, otherwise base62(v-1) followed by "_". */
static void sb_b62num(sb_t *b, uint64_t v)
{
    if (v) {
        char tmp[16];
        int k = 0;
        v -= 1;
        do {
            tmp[k++] = B62[v % 62];
            v /= 62;
        } while (v);
        while (k)
            sb_ch(b, tmp[--k]);
    }
    sb_ch(b, '_');
}

static void sb_ident(sb_t *b, const char *s)
{
    char tmp[24];
    snprintf(tmp, sizeof tmp, "%zu", strlen(s));
    sb_s(b, tmp);
    sb_s(b, s);
}

/* Emit a path once; later occurrences become back-references, as rustc does. */
static int sb_backref(sb_t *b, uint64_t key)
{
    for (int i = 0; i < b->nmemo; i++)
        if (b->memo_key[i] == key) {
            sb_ch(b, 'B');
            sb_b62num(b, b->memo_pos[i]);
            return 1;
        }
    if (b->nmemo < 16) {
        b->memo_key[b->nmemo] = key;
        b->memo_pos[b->nmemo++] = b->n - b->base;
    }
    return 0;
}

static uint64_t strhash(const char *s)
{
    uint64_t h = 1469598103934665603ULL;
    while (*s)
        h = (h ^ (unsigned char)*s++) * 1099511628211ULL;
    return h;
}

static void sb_crate(sb_t *b, const crate_t *cr, int c)
{
    if (sb_backref(b, 0x100 + (uint64_t)c))
        return;
    sb_s(b, "Cs");
    sb_b62num(b, cr[c].hash);
    sb_ident(b, cr[c].name);
}

/* crate::m0::...::m{k-1} as nested type-namespace paths. */
static void sb_modpath(sb_t *b, const crate_t *cr, int c, const char *const *mods, int k)
{
    uint64_t key = 0x200 + (uint64_t)c;
    for (int i = 0; i < k; i++)
        key = mix64(key ^ strhash(mods[i]));
    if (k == 0) {
        sb_crate(b, cr, c);
        return;
    }
    if (sb_backref(b, key))
        return;
    sb_s(b, "Nt");
    sb_modpath(b, cr, c, mods, k - 1);
    sb_ident(b, mods[k - 1]);
}

static void sb_type(sb_t *b, const crate_t *cr, int c, const char *const *mods, int k, const char *ty)
{
    uint64_t key = mix64(0x300 + (uint64_t)c) ^ strhash(ty);
    for (int i = 0; i < k; i++)
        key = mix64(key ^ strhash(mods[i]));
    if (sb_backref(b, key))
        return;
    sb_s(b, "Nt");
    sb_modpath(b, cr, c, mods, k);
    sb_ident(b, ty);
}

typedef struct {
    int crate;
    const char *mods[4];
    int nmods;
    const char *name;
} item_t;

/* A random item path: mostly the local crate, 1-4 modules deep. */
static void rand_item(rng_t *r, item_t *it, const char *const *names, uint32_t nnames)
{
    /* Which crate owns the item: mostly the local crate. */
    static const int crate_pick[20] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1, 1, 1, 2, 2, 3, 4, 5, 6};
    int c = crate_pick[rng_below(r, 20)];
    if (c >= 4)
        c = 4 + (int)rng_below(r, NCRATES - 4);
    it->crate = c;
    it->nmods = 1 + (int)rng_below(r, 3) + (rng_pct(r, 20) ? 1 : 0);
    for (int i = 0; i < it->nmods; i++)
        it->mods[i] = MODULES[rng_below(r, sizeof MODULES / sizeof *MODULES)];
    it->name = names[rng_below(r, nnames)];
}

#define NTYPES ((uint32_t)(sizeof TYPES / sizeof *TYPES))
#define NFUNCS ((uint32_t)(sizeof FUNCS / sizeof *FUNCS))

/* A random v0 <type>: paths, primitives, references, Vec/Option/HashMap,
 * tuples; nested to a small depth so symbols get realistically long. */
static void sb_rtype(sb_t *b, rng_t *r, const crate_t *cr, int depth)
{
    static const char *const vec[] = {"vec"}, *const option[] = {"option"};
    static const char *const map[] = {"collections", "hash", "map"};
    unsigned k = depth >= 2 ? rng_below(r, 50) : rng_below(r, 100);
    item_t it;
    if (k < 35) {
        rand_item(r, &it, TYPES, NTYPES);
        sb_type(b, cr, it.crate, it.mods, it.nmods, it.name);
    } else if (k < 50) {
        sb_ch(b, "hjmybxld"[rng_below(r, 8)]);
    } else if (k < 60) {
        sb_ch(b, rng_pct(r, 70) ? 'R' : 'Q');
        sb_rtype(b, r, cr, depth + 1);
    } else if (k < 75) {
        sb_ch(b, 'I');
        sb_type(b, cr, CR_ALLOC, vec, 1, "Vec");
        sb_rtype(b, r, cr, depth + 1);
        sb_ch(b, 'E');
    } else if (k < 85) {
        sb_ch(b, 'I');
        sb_type(b, cr, CR_CORE, option, 1, "Option");
        sb_rtype(b, r, cr, depth + 1);
        sb_ch(b, 'E');
    } else if (k < 93) {
        sb_ch(b, 'T');
        sb_rtype(b, r, cr, depth + 1);
        sb_rtype(b, r, cr, depth + 1);
        sb_ch(b, 'E');
    } else {
        sb_ch(b, 'I');
        sb_type(b, cr, CR_STD, map, 3, "HashMap");
        sb_rtype(b, r, cr, depth + 1);
        sb_rtype(b, r, cr, depth + 1);
        sb_ch(b, 'E');
    }
}

static void sb_disamb(sb_t *b, rng_t *r, unsigned pct, uint32_t max)
{
    if (rng_pct(r, pct))
        sb_ch(b, 's'), sb_b62num(b, rng_below(r, max));
}

/* Build the v0 symbol number `idx` of the pool into out (NUL-terminated). */
static size_t make_symbol(char *out, size_t cap, const crate_t *cr, uint64_t seed, uint64_t idx)
{
    static const char *const ptr[] = {"ptr"}, *const vec[] = {"vec"}, *const option[] = {"option"};
    rng_t r = {mix64(seed ^ mix64(idx + 0x51ed))};
    sb_t b = {.p = out, .cap = cap - 1};
    item_t f, t;
    rand_item(&r, &f, FUNCS, NFUNCS);
    t = f; /* a type that lives in the function's module */
    t.name = TYPES[rng_below(&r, NTYPES)];
    unsigned form = rng_below(&r, 100);

    sb_s(&b, "_R");
    b.base = b.n;
    if (form < 24) { /* crate::m::f */
        sb_s(&b, "Nv");
        sb_modpath(&b, cr, f.crate, f.mods, f.nmods);
        sb_ident(&b, f.name);
    } else if (form < 38) { /* <crate::m::T>::f */
        sb_s(&b, "NvM");
        sb_disamb(&b, &r, 60, 40);
        sb_modpath(&b, cr, f.crate, f.mods, f.nmods);
        sb_type(&b, cr, t.crate, t.mods, t.nmods, t.name);
        sb_ident(&b, f.name);
    } else if (form < 50) { /* <crate::m::T as core::Trait>::method */
        const trait_t *tr = &TRAITS[rng_below(&r, sizeof TRAITS / sizeof *TRAITS)];
        sb_s(&b, "NvX");
        sb_disamb(&b, &r, 70, 60);
        sb_modpath(&b, cr, f.crate, f.mods, f.nmods);
        sb_type(&b, cr, t.crate, t.mods, t.nmods, t.name);
        sb_type(&b, cr, tr->crate, tr->mods, tr->nmods, tr->trait);
        sb_ident(&b, tr->method);
    } else if (form < 64) { /* core::ptr::drop_in_place::<T> */
        sb_s(&b, "INv");
        sb_modpath(&b, cr, CR_CORE, ptr, 1);
        sb_ident(&b, "drop_in_place");
        sb_rtype(&b, &r, cr, 0);
        sb_ch(&b, 'E');
        sb_crate(&b, cr, CR_LOCAL);
    } else if (form < 72) { /* <alloc::vec::Vec<T>>::method */
        sb_s(&b, "NvM");
        sb_disamb(&b, &r, 50, 8);
        sb_modpath(&b, cr, CR_ALLOC, vec, 1);
        sb_ch(&b, 'I');
        sb_type(&b, cr, CR_ALLOC, vec, 1, "Vec");
        sb_rtype(&b, &r, cr, 1);
        sb_ch(&b, 'E');
        sb_ident(&b, VEC_METHODS[rng_below(&r, sizeof VEC_METHODS / sizeof *VEC_METHODS)]);
        sb_crate(&b, cr, CR_LOCAL);
    } else if (form < 80) { /* crate::m::f::{closure#N} */
        sb_s(&b, "NCNv");
        sb_modpath(&b, cr, f.crate, f.mods, f.nmods);
        sb_ident(&b, f.name);
        sb_disamb(&b, &r, 75, 3);
        sb_ch(&b, '0');
        sb_crate(&b, cr, CR_LOCAL);
    } else if (form < 90) { /* crate::m::f::<T, U> */
        sb_s(&b, "INv");
        sb_modpath(&b, cr, f.crate, f.mods, f.nmods);
        sb_ident(&b, f.name);
        for (unsigned i = 0, n = 1 + rng_below(&r, 3); i < n; i++)
            sb_rtype(&b, &r, cr, 0);
        sb_ch(&b, 'E');
        sb_crate(&b, cr, CR_LOCAL);
    } else if (form < 95) { /* <core::option::Option<T> as core::Trait>::method */
        const trait_t *tr = &TRAITS[rng_below(&r, 6)];
        sb_s(&b, "NvX");
        sb_disamb(&b, &r, 70, 60);
        sb_modpath(&b, cr, CR_CORE, option, 1);
        sb_ch(&b, 'I');
        sb_type(&b, cr, CR_CORE, option, 1, "Option");
        sb_rtype(&b, &r, cr, 1);
        sb_ch(&b, 'E');
        sb_type(&b, cr, tr->crate, tr->mods, tr->nmods, tr->trait);
        sb_ident(&b, tr->method);
        sb_crate(&b, cr, CR_LOCAL);
    } else { /* <alloc::vec::Vec<T>>::retain_mut::<crate::m::f::{closure#0}> */
        sb_s(&b, "INvM");
        sb_disamb(&b, &r, 50, 8);
        sb_modpath(&b, cr, CR_ALLOC, vec, 1);
        sb_ch(&b, 'I');
        sb_type(&b, cr, CR_ALLOC, vec, 1, "Vec");
        sb_rtype(&b, &r, cr, 1);
        sb_ch(&b, 'E');
        sb_ident(&b, VEC_METHODS[rng_below(&r, sizeof VEC_METHODS / sizeof *VEC_METHODS)]);
        sb_s(&b, "NCNv");
        sb_modpath(&b, cr, f.crate, f.mods, f.nmods);
        sb_ident(&b, f.name);
        sb_ch(&b, '0');
        sb_ch(&b, 'E');
        sb_crate(&b, cr, CR_LOCAL);
    }
    out[b.n] = 0;
    return b.n;
}

/* ------------------------------------------------------------------ */
/* LLVM pass pipelines, written as an indented outline and parsed once. */
/*
 * One string per line: NAME [= LITERAL-DETAIL] [| FLAGS]; two spaces of
 * indent per level.
 * FLAGS:
 *   fn     repeat per function of the current set (module or SCC); the
 *          detail becomes that function's symbol
 *   scc    repeat per SCC of the module; detail "(sym, ...)"
 *   loop   repeat per loop of the current function
 *   rA-B   repeat a uniform number of times in [A,B]
 *   pN     keep each repetition with probability N%
 *   cN     self time in ns before scaling (default 400)
 *   v      virtual: groups children, writes no event
 *   m      detail "[module]"      f  detail: a function symbol
 *   d      detail: a declaration  g  detail: this module's name
 *   gx     detail: another module's name      n  no args
 * Without a detail flag the detail follows the context: "[module]", the
 * SCC, or the current function.
 */

#define INLINER_PIPELINE \
"ModuleInlinerWrapperPass | c6000", \
"  InlineAdvisorAnalysis | c900", \
"  RequireAnalysisPass<llvm::GlobalsAA, llvm::Module, llvm::AnalysisManager<Module>> | c700", \
"    GlobalsAA | c9000", \
"      CallGraphAnalysis | c7000", \
"  ModuleToFunctionPassAdaptor | c1200", \
"    InvalidateAnalysisPass<llvm::AAManager> | fn c150", \
"  RequireAnalysisPass<llvm::ProfileSummaryAnalysis, llvm::Module, llvm::AnalysisManager<Module>> | c250", \
"  ModuleToPostOrderCGSCCPassAdaptor | c4000", \
"    InnerAnalysisManagerProxy<CGSCCAnalysisManager, Module> | c700", \
"      LazyCallGraphAnalysis | c15000", \
"    SCC | scc v", \
"      FunctionAnalysisManagerCGSCCProxy | c600", \
"        OuterAnalysisManagerProxy<ModuleAnalysisManager, LazyCallGraph::SCC, LazyCallGraph &> | c150", \
"      DevirtSCCRepeatedPass | c900", \
"        PassManager<LazyCallGraph::SCC, CGSCCAnalysisManager, LazyCallGraph &, CGSCCUpdateResult &> | c900", \
"          InlinerPass | c7000", \
"            EphemeralValuesAnalysis | f p55 c300", \
"            BlockFrequencyAnalysis | f p45 c1500", \
"              BranchProbabilityAnalysis | c1200", \
"                LoopAnalysis | c600", \
"                  DominatorTreeAnalysis | p50 c700", \
"                PostDominatorTreeAnalysis | c900", \
"            AAManager | f p45 c200", \
"              BasicAA | c250", \
"            OptimizationRemarkEmitterAnalysis | f p25 c300", \
"          PostOrderFunctionAttrsPass | c2000", \
"            AAManager | f p35 c200", \
"              BasicAA | c250", \
"                DominatorTreeAnalysis | p50 c700", \
"          ArgumentPromotionPass | c1200", \
"            AAManager | f p25 c200", \
"              BasicAA | c250", \
"          OpenMPOptCGSCCPass | c300", \
"          CGSCCToFunctionPassAdaptor | c700", \
"            PassManager<Function> | fn c800", \
"              SROAPass | c7000", \
"                DominatorTreeAnalysis | p60 c800", \
"                AssumptionAnalysis | p40 c250", \
"              EarlyCSEPass | c4000", \
"                TargetLibraryAnalysis | p40 c200", \
"                MemorySSAAnalysis | c2000", \
"                  AAManager | p70 c200", \
"                    BasicAA | c250", \
"                      DominatorTreeAnalysis | p40 c600", \
"                    ScopedNoAliasAA | p60 c150", \
"                    TypeBasedAA | p60 c150", \
"                    OuterAnalysisManagerProxy<ModuleAnalysisManager, Function> | p60 c150", \
"              SpeculativeExecutionPass | c400", \
"              JumpThreadingPass | c3500", \
"                LazyValueAnalysis | c300", \
"                  DominatorTreeAnalysis | p30 c600", \
"                BlockFrequencyAnalysis | p20 c1500", \
"                  BranchProbabilityAnalysis | c1200", \
"                    LoopAnalysis | c600", \
"                    PostDominatorTreeAnalysis | c900", \
"              CorrelatedValuePropagationPass | c3000", \
"              SimplifyCFGPass | c2500", \
"                TargetIRAnalysis | p50 c200", \
"                AssumptionAnalysis | p30 c250", \
"              AggressiveInstCombinePass | c1500", \
"                TargetLibraryAnalysis | p30 c200", \
"              InstCombinePass | c12000", \
"                LastRunTrackingAnalysis | p60 c150", \
"                OptimizationRemarkEmitterAnalysis | p40 c300", \
"                  BlockFrequencyAnalysis | p30 c1500", \
"                    BranchProbabilityAnalysis | c1200", \
"                      LoopAnalysis | c600", \
"                      PostDominatorTreeAnalysis | c900", \
"              LibCallsShrinkWrapPass | c250", \
"              TailCallElimPass | p70 c1200", \
"                PostDominatorTreeAnalysis | p40 c900", \
"              SimplifyCFGPass | c2500", \
"              ReassociatePass | c2500", \
"              ConstraintEliminationPass | c2500", \
"                LoopAnalysis | p50 c500", \
"                ScalarEvolutionAnalysis | p50 c1200", \
"              FunctionToLoopPassAdaptor | c900", \
"                PassManager<Function> | c500", \
"                  LoopSimplifyPass | c900", \
"                  LCSSAPass | c500", \
"                InnerAnalysisManagerProxy<LoopAnalysisManager, Function> | p30 c150", \
"                PassManager<Loop, LoopAnalysisManager, LoopStandardAnalysisResults &, LPMUpdater &> | loop c600", \
"                  LoopInstSimplifyPass | c800", \
"                  LoopSimplifyCFGPass | c700", \
"                  LICMPass | c2500", \
"                    MemorySSAAnalysis | p25 c1500", \
"                      DominatorTreeAnalysis | p40 c600", \
"                  LoopRotatePass | c1800", \
"                  LICMPass | c2000", \
"                  SimpleLoopUnswitchPass | c1200", \
"              SimplifyCFGPass | c2500", \
"              InstCombinePass | c10000", \
"                LastRunTrackingAnalysis | p50 c150", \
"              FunctionToLoopPassAdaptor | c800", \
"                PassManager<Function> | c500", \
"                  LoopSimplifyPass | c800", \
"                  LCSSAPass | c500", \
"                PassManager<Loop, LoopAnalysisManager, LoopStandardAnalysisResults &, LPMUpdater &> | loop c600", \
"                  LoopIdiomRecognizePass | c1000", \
"                  IndVarSimplifyPass | c2200", \
"                  LoopDeletionPass | c500", \
"                  LoopFullUnrollPass | c1800", \
"              SROAPass | c4000", \
"              VectorCombinePass | p70 c1000", \
"              MergedLoadStoreMotionPass | c800", \
"              GVNPass | c11000", \
"                MemoryDependenceAnalysis | c300", \
"                  AAManager | p30 c200", \
"                    BasicAA | c250", \
"                LoopAnalysis | p40 c500", \
"              SCCPPass | c2500", \
"              BDCEPass | c1200", \
"                DemandedBitsAnalysis | c500", \
"              InstCombinePass | c9000", \
"                LastRunTrackingAnalysis | p50 c150", \
"              JumpThreadingPass | c2000", \
"                LazyValueAnalysis | c300", \
"              CorrelatedValuePropagationPass | c1800", \
"              ADCEPass | c1800", \
"                PostDominatorTreeAnalysis | c900", \
"              MemCpyOptPass | c2200", \
"              DSEPass | c2600", \
"              MoveAutoInitPass | c300", \
"              FunctionToLoopPassAdaptor | c800", \
"                PassManager<Function> | c400", \
"                  LoopSimplifyPass | c700", \
"                  LCSSAPass | c400", \
"                PassManager<Loop, LoopAnalysisManager, LoopStandardAnalysisResults &, LPMUpdater &> | loop c500", \
"                  LICMPass | c2200", \
"              CoroElidePass | c250", \
"              SimplifyCFGPass | c2500", \
"              InstCombinePass | c8000", \
"                LastRunTrackingAnalysis | p50 c150", \
"          PostOrderFunctionAttrsPass | c1000", \
"          CGSCCToFunctionPassAdaptor | c500", \
"            RequireAnalysisPass<llvm::ShouldNotRunFunctionPassesAnalysis, llvm::Function, llvm::AnalysisManager<Function>> | fn c300", \
"              ShouldNotRunFunctionPassesAnalysis | c150",

/* Pre-link ThinLTO O3 pipeline, run on each "opt cgu.NN" thread. */
static const char *const OPT_PIPELINE[] = {
"Annotation2MetadataPass | c700",
"ForceFunctionAttrsPass | c500",
"InferFunctionAttrsPass | c12000",
"  InnerAnalysisManagerProxy<FunctionAnalysisManager, Module> | c500",
"  TargetLibraryAnalysis | d r4-30 c250",
"CoroEarlyPass | c600",
"ModuleToFunctionPassAdaptor | c1500",
"  InnerAnalysisManagerProxy<FunctionAnalysisManager, Module> | c400",
"  PassManager<Function> | fn c700",
"    EntryExitInstrumenterPass | c500",
"    LowerExpectIntrinsicPass | c900",
"    SimplifyCFGPass | c4000",
"      TargetIRAnalysis | p75 c200",
"      AssumptionAnalysis | p75 c300",
"    SROAPass | c8000",
"      DominatorTreeAnalysis | c1200",
"    EarlyCSEPass | c4000",
"      TargetLibraryAnalysis | c200",
"    CallSiteSplittingPass | c700",
"OpenMPOptPass | c700",
"IPSCCPPass | c25000",
"  DominatorTreeAnalysis | fn p85 c1000",
"  AssumptionAnalysis | fn p25 c250",
"CalledValuePropagationPass | c7000",
"GlobalOptPass | c8000",
"  TargetLibraryAnalysis | f p50 c200",
"  BlockFrequencyAnalysis | f r0-8 c1500",
"    BranchProbabilityAnalysis | c1200",
"      LoopAnalysis | c600",
"      PostDominatorTreeAnalysis | c900",
"ModuleToFunctionPassAdaptor | c1200",
"  PassManager<Function> | fn c600",
"    PromotePass | p70 c1200",
"    InstCombinePass | c12000",
"      AAManager | p70 c200",
"        BasicAA | c250",
"        ScopedNoAliasAA | p40 c150",
"        TypeBasedAA | p40 c150",
"      OuterAnalysisManagerProxy<ModuleAnalysisManager, Function> | p30 c150",
"      LastRunTrackingAnalysis | p50 c150",
"      OptimizationRemarkEmitterAnalysis | p50 c300",
"    SimplifyCFGPass | c3000",
"AlwaysInlinerPass | c2500",
"  ProfileSummaryAnalysis | c700",
INLINER_PIPELINE
"DeadArgumentEliminationPass | c5000",
"GlobalOptPass | c8000",
"GlobalDCEPass | c5000",
"ModuleToFunctionPassAdaptor | c1200",
"  AnnotationRemarksPass | fn p15 c300",
"CanonicalizeAliasesPass | c400",
"NameAnonGlobalPass | c1500",
"ThinLTOBitcodeWriterPass | c50000",
"  InnerAnalysisManagerProxy<FunctionAnalysisManager, Module> | c300",
"  ModuleSummaryIndexAnalysis | c15000",
"    BlockFrequencyAnalysis | fn p60 c1500",
"      BranchProbabilityAnalysis | c1200",
"        LoopAnalysis | c500",
"          DominatorTreeAnalysis | p40 c600",
"        PostDominatorTreeAnalysis | c900",
"    ProfileSummaryAnalysis | p20 c400",
"  Materialize metadata | n c300",
"Materialize metadata | n c300",
};

/* ThinLTO backend on each "lto cgu.NN" thread: import, post-link O3, codegen. */
static const char *const LTO_PIPELINE[] = {
"Parse metadata | n r2-8 c5000",
"Upgrade debug info | n c2500",
"  Strip debug info | n c1500",
"Rename module for ThinLTO | n c7000",
"ThinLTO finalize in module | n c2500",
"ThinLTO internalize module | n c1500",
"Import | gx r1-3 c30000",
"  Parse metadata | n r0-3 c900",
"  Materialize metadata | n c500",
"  Functions | n c2500",
"  Globals | n c800",
"  Aliases | n c200",
"  Upgrade debug info | n c900",
"    Strip debug info | n p50 c500",
"  Rename module for ThinLTO | n c1500",
"MemProfRemoveInfo | c500",
"PGOIndirectCallPromotion | c5000",
"  InnerAnalysisManagerProxy<FunctionAnalysisManager, Module> | c300",
"  ProfileSummaryAnalysis | c300",
"  OptimizationRemarkEmitterAnalysis | fn p8 c300",
"OpenMPOptPass | c600",
"LowerTypeTestsPass | c400",
"IPSCCPPass | c20000",
"  DominatorTreeAnalysis | fn p30 c900",
"  AssumptionAnalysis | fn p30 c250",
"CalledValuePropagationPass | c6000",
"GlobalOptPass | c6000",
"  TargetLibraryAnalysis | f p50 c200",
"ModuleToFunctionPassAdaptor | c1200",
"  PassManager<Function> | fn p25 c600",
"    PromotePass | c900",
"    InstCombinePass | c9000",
"      LastRunTrackingAnalysis | p50 c150",
"    SimplifyCFGPass | c2500",
"AlwaysInlinerPass | c1500",
INLINER_PIPELINE
"DeadArgumentEliminationPass | c3000",
"SimplifyTypeTestsPass | c300",
"CoroCleanupPass | c300",
"GlobalOptPass | c5000",
"GlobalDCEPass | c4000",
"EliminateAvailableExternallyPass | c400",
"ReversePostOrderFunctionAttrsPass | c500",
"RecomputeGlobalsAAPass | c4000",
"  CallGraphAnalysis | c6000",
"ModuleToFunctionPassAdaptor | c1500",
"  PassManager<Function> | fn p30 c700",
"    Float2IntPass | c700",
"    LowerConstantIntrinsicsPass | c600",
"    LoopDistributePass | c900",
"      LoopAccessAnalysis | loop c800",
"    InjectTLIMappings | c400",
"    LoopVectorizePass | c4000",
"      DemandedBitsAnalysis | p40 c500",
"      OptimizationRemarkEmitterAnalysis | p30 c300",
"    InferAlignmentPass | c600",
"    LoopLoadEliminationPass | c700",
"    InstCombinePass | c8000",
"      LastRunTrackingAnalysis | p50 c150",
"    SimplifyCFGPass | c2000",
"    SLPVectorizerPass | c5000",
"      ScalarEvolutionAnalysis | p60 c1000",
"      AAManager | p60 c200",
"        BasicAA | c250",
"      DemandedBitsAnalysis | p60 c500",
"    VectorCombinePass | c900",
"    InstCombinePass | c7000",
"      LastRunTrackingAnalysis | p50 c150",
"    LoopUnrollPass | c1500",
"    SROAPass | c2500",
"    InferAlignmentPass | c500",
"    InstCombinePass | c6000",
"      LastRunTrackingAnalysis | p50 c150",
"    FunctionToLoopPassAdaptor | c700",
"      PassManager<Function> | c400",
"        LoopSimplifyPass | c700",
"        LCSSAPass | c400",
"      PassManager<Loop, LoopAnalysisManager, LoopStandardAnalysisResults &, LPMUpdater &> | loop c500",
"        LICMPass | c2000",
"    AlignmentFromAssumptionsPass | c400",
"    LoopSinkPass | c500",
"    InstSimplifyPass | c1500",
"    DivRemPairsPass | c500",
"    TailCallElimPass | c900",
"    SimplifyCFGPass | c2000",
"    DropUnnecessaryAssumesPass | c300",
"AllocTokenPass | c1500",
"GlobalDCEPass | c3000",
"ConstantMergePass | c400",
"MergeFunctionsPass | c3000",
"CGProfilePass | c4000",
"RelLookupTableConverterPass | c500",
"ModuleToFunctionPassAdaptor | c800",
"  AnnotationRemarksPass | fn p15 c300",
"CanonicalizeAliasesPass | c300",
"NameAnonGlobalPass | c500",
/* Legacy pass manager codegen (X86), one OptFunction per function. */
"OptModule | g c20000",
"  OptFunction | fn p28 c1500",
"    RunPass = Expand IR instructions | c1500",
"    RunPass = Expand Atomic instructions | c800",
"    RunPass = Lower AMX intrinsics | c500",
"    RunPass = Lower AMX type for load/store | c500",
"    RunPass = Dominator Tree Construction | c900",
"    RunPass = Basic Alias Analysis (stateless AA impl) | c250",
"    RunPass = Natural Loop Information | c900",
"    RunPass = Canonicalize natural loops | c900",
"    RunPass = Scalar Evolution Analysis | c700",
"    RunPass = Loop Pass Manager | c300",
"      RunLoopPass | loop v",
"        RunLoopPass = Canonicalize Freeze Instructions in Loops | c3000",
"        RunLoopPass = Induction Variable Users | c900",
"        RunLoopPass = Loop Strength Reduction | c4000",
"    RunPass = Basic Alias Analysis (stateless AA impl) | c200",
"    RunPass = Function Alias Analysis Results | c300",
"    RunPass = Merge contiguous icmps into a memcmp | c500",
"    RunPass = Natural Loop Information | c600",
"    RunPass = Lazy Branch Probability Analysis | c250",
"    RunPass = Lazy Block Frequency Analysis | c250",
"    RunPass = Expand memcmp() to load/stores | c600",
"    RunPass = Lower Garbage Collection Instructions | c400",
"    RunPass = Shadow Stack GC Lowering | c300",
"    RunPass = Remove unreachable blocks from the CFG | c1000",
"    RunPass = Natural Loop Information | c600",
"    RunPass = Post-Dominator Tree Construction | c1000",
"    RunPass = Branch Probability Analysis | c2500",
"    RunPass = Block Frequency Analysis | c2000",
"    RunPass = Constant Hoisting | c2500",
"    RunPass = Replace intrinsics with calls to vector library | c400",
"    RunPass = Lazy Branch Probability Analysis | c250",
"    RunPass = Optimization Remark Emitter | c300",
"      RunPass = Lazy Block Frequency Analysis | p60 c200",
"    RunPass = Partially inline calls to library functions | c400",
"    RunPass = Instrument function entry/exit with calls to e.g. mcount() (post inlining) | c250",
"    RunPass = Scalarize Masked Memory Intrinsics | c500",
"    RunPass = Expand reduction intrinsics | c400",
"    RunPass = Interleaved Access Pass | c500",
"    RunPass = X86 Partial Reduction | c500",
"    RunPass = Expand indirectbr instructions | c250",
"    RunPass = CodeGen Prepare | c12000",
"    RunPass = Dominator Tree Construction | c600",
"    RunPass = Exception handling preparation | c700",
"    RunPass = Prepare callbr | c200",
"    RunPass = Safe Stack instrumentation pass | c250",
"    RunPass = Insert stack protectors | c300",
"    RunPass = Basic Alias Analysis (stateless AA impl) | c200",
"    RunPass = Function Alias Analysis Results | c250",
"    RunPass = Natural Loop Information | c500",
"    RunPass = Post-Dominator Tree Construction | c800",
"    RunPass = Branch Probability Analysis | c1800",
"    RunPass = Assignment Tracking Analysis | c250",
"    RunPass = Lazy Branch Probability Analysis | c200",
"    RunPass = Lazy Block Frequency Analysis | c200",
"    RunPass = X86 DAG->DAG Instruction Selection | c90000",
"    RunPass = MachineDominator Tree Construction | c1000",
"    RunPass = Local Dynamic TLS Access Clean-up | c300",
"    RunPass = X86 PIC Global Base Reg Initialization | c300",
"    RunPass = Argument Stack Rebase | c200",
"    RunPass = Finalize ISel and expand pseudo-instructions | c800",
"    RunPass = X86 Domain Reassignment Pass | c300",
"    RunPass = Lazy Machine Block Frequency Analysis | c200",
"    RunPass = Early Tail Duplication | c900",
"    RunPass = Optimize machine instruction PHIs | c600",
"    RunPass = Slot index numbering | c1200",
"    RunPass = Merge disjoint stack slots | c2500",
"    RunPass = Local Stack Slot Allocation | c250",
"    RunPass = Remove dead machine instructions | c2500",
"    RunPass = MachineDominator Tree Construction | c700",
"    RunPass = Machine Natural Loop Construction | c700",
"    RunPass = Machine Trace Metrics | c250",
"    RunPass = Early If-Conversion | c400",
"    RunPass = Lazy Machine Block Frequency Analysis | c200",
"    RunPass = Machine InstCombiner | c2000",
"    RunPass = X86 cmov Conversion | c700",
"    RunPass = MachineDominator Tree Construction | c500",
"    RunPass = Machine Natural Loop Construction | c500",
"    RunPass = Machine Block Frequency Analysis | c1500",
"    RunPass = Early Machine Loop Invariant Code Motion | c2000",
"    RunPass = MachineDominator Tree Construction | c400",
"    RunPass = Machine Block Frequency Analysis | c900",
"    RunPass = Machine Common Subexpression Elimination | c4000",
"    RunPass = MachinePostDominator Tree Construction | c900",
"    RunPass = Machine Cycle Info Analysis | c800",
"    RunPass = Machine code sinking | c3500",
"    RunPass = Peephole Optimizations | c3000",
"    RunPass = Remove dead machine instructions | c1800",
"    RunPass = Live Range Shrink | c2000",
"    RunPass = X86 Fixup SetCC | c600",
"    RunPass = X86 LEA Optimize | c900",
"    RunPass = X86 Optimize Call Frame | c700",
"    RunPass = X86 Avoid Store Forwarding Blocks | c700",
"    RunPass = X86 speculative load hardening | c250",
"    RunPass = X86 Suppress APX features for relocation | c200",
"    RunPass = X86 EFLAGS copy lowering | c300",
"    RunPass = X86 DynAlloca Expander | c250",
"    RunPass = MachineDominator Tree Construction | c500",
"    RunPass = Machine Natural Loop Construction | c500",
"    RunPass = Tile Register Pre-configure | c250",
"    RunPass = Detect Dead Lanes | c300",
"    RunPass = Init Undef Pass | c600",
"    RunPass = Process Implicit Definitions | c500",
"    RunPass = Remove unreachable machine basic blocks | c600",
"    RunPass = Live Variable Analysis | c6000",
"    RunPass = Eliminate PHI nodes for register allocation | c2000",
"    RunPass = Two-Address instruction pass | c9000",
"    RunPass = Slot index numbering | c1200",
"    RunPass = Live Interval Analysis | c7000",
"    RunPass = Register Coalescer | c9000",
"    RunPass = Rename Disconnected Subregister Components | c400",
"    RunPass = Machine Instruction Scheduler | c15000",
"    RunPass = Machine Block Frequency Analysis | c900",
"    RunPass = Debug Variable Analysis | c300",
"    RunPass = Live Stack Slot Analysis | c250",
"    RunPass = Virtual Register Map | c250",
"    RunPass = Live Register Matrix | c400",
"    RunPass = Bundle Machine CFG Edges | c300",
"    RunPass = Spill Code Placement Analysis | c300",
"    RunPass = Lazy Machine Block Frequency Analysis | c200",
"    RunPass = Machine Optimization Remark Emitter | c200",
"    RunPass = Greedy Register Allocator | c30000",
"    RunPass = Tile Register Configure | c250",
"    RunPass = Virtual Register Rewriter | c4000",
"    RunPass = Register Allocation Pass Scoring | c200",
"    RunPass = Stack Slot Coloring | c1200",
"    RunPass = Machine Copy Propagation Pass | c3500",
"    RunPass = Machine Loop Invariant Code Motion | c900",
"    RunPass = X86 Lower Tile Copy | c250",
"    RunPass = X86 FP Stackifier | c300",
"    RunPass = MachineDominator Tree Construction | c500",
"    RunPass = Machine Dominance Frontier Construction | c700",
"    RunPass = X86 Load Value Injection (LVI) Load Hardening | c300",
"    RunPass = Remove Redundant DEBUG_VALUE analysis | c300",
"    RunPass = Fixup Statepoint Caller Saved | c250",
"    RunPass = PostRA Machine Sink | c800",
"    RunPass = Machine Block Frequency Analysis | c900",
"    RunPass = MachinePostDominator Tree Construction | c700",
"    RunPass = Lazy Machine Block Frequency Analysis | c200",
"    RunPass = Machine Optimization Remark Emitter | c200",
"    RunPass = Shrink Wrapping analysis | c800",
"    RunPass = Prologue/Epilogue Insertion & Frame Finalization | c1800",
"    RunPass = Machine Late Instructions Cleanup Pass | c1200",
"    RunPass = Control Flow Optimizer | c3500",
"    RunPass = Tail Duplication | c500",
"      RunPass = Lazy Machine Block Frequency Analysis | p50 c200",
"    RunPass = Machine Copy Propagation Pass | c2500",
"    RunPass = Post-RA pseudo instruction expansion pass | c700",
"    RunPass = X86 pseudo instruction expansion pass | c500",
"    RunPass = Insert KCFI indirect call checks | c250",
"    RunPass = MachineDominator Tree Construction | c500",
"    RunPass = Machine Natural Loop Construction | c500",
"    RunPass = Post RA top-down list latency scheduler | c20000",
"    RunPass = Analyze Machine Code For Garbage Collection | c300",
"    RunPass = Machine Block Frequency Analysis | c900",
"    RunPass = MachinePostDominator Tree Construction | c600",
"    RunPass = Branch Probability Basic Block Placement | c3000",
"    RunPass = Insert fentry calls | c200",
"    RunPass = Insert XRay ops | c250",
"    RunPass = Implement the 'patchable-function' attribute | c200",
"    RunPass = Reaching Definitions Analysis | c5000",
"    RunPass = X86 Execution Dependency Fix | c1500",
"    RunPass = BreakFalseDeps | c1500",
"    RunPass = X86 Indirect Branch Tracking | c200",
"    RunPass = X86 vzeroupper inserter | c250",
"    RunPass = Lazy Machine Block Frequency Analysis | c200",
"    RunPass = X86 Byte/Word Instruction Fixup | c1500",
"    RunPass = X86 Atom pad short functions | c200",
"    RunPass = X86 LEA Fixup | c500",
"    RunPass = X86 Fixup Inst Tuning | c400",
"    RunPass = X86 Fixup Vector Constants | c400",
"    RunPass = Compressing EVEX instrs when possible | c200",
"    RunPass = X86 insert wait instruction | c200",
"    RunPass = Contiguously Lay Out Funclets | c200",
"    RunPass = Remove Loads Into Fake Uses | c200",
"    RunPass = StackMap Liveness Analysis | c200",
"    RunPass = Live DEBUG_VALUE analysis | c500",
"    RunPass = Machine Sanitizer Binary Metadata | c200",
"    RunPass = Lazy Machine Block Frequency Analysis | c200",
"    RunPass = Stack Frame Layout Analysis | c300",
"      RunPass = Machine Optimization Remark Emitter | p40 c150",
"    RunPass = X86 Speculative Execution Side Effect Suppression | c200",
"    RunPass = X86 Indirect Thunks | c200",
"    RunPass = X86 Return Thunks | c200",
"    RunPass = Check CFA info and insert CFI instructions if needed | c600",
"    RunPass = X86 Load Value Injection (LVI) Ret-Hardening | c200",
"    RunPass = Pseudo Probe Inserter | c200",
"    RunPass = Unpack machine instruction bundles | c200",
"    RunPass = Machine Optimization Remark Emitter | c250",
"      RunPass = Lazy Machine Block Frequency Analysis | p50 c150",
"    RunPass = X86 Assembly Printer | c5000",
"    RunPass = Free MachineFunction | c500",
};

enum { D_CTX, D_MODULE, D_FN, D_DECL, D_CGU, D_CGU_OTHER, D_NONE, D_LIT };
enum { R_ONCE, R_RANGE, R_FN, R_SCC, R_LOOP };
enum { C_MODULE, C_SCC, C_FN };

typedef struct {
    int name;              /* index into the name table */
    const char *lit;       /* literal detail (D_LIT) */
    uint16_t litlen;
    uint8_t dkind, rkind, prob, is_virtual;
    uint16_t rlo, rhi;
    uint32_t cost;         /* ns */
    int child, next;       /* first child, next sibling (-1: none) */
} pnode_t;

#define MAX_NAMES 512
#define MAX_NODES 2048

typedef struct {
    const char *s[MAX_NAMES];
    uint16_t len[MAX_NAMES];
    uint64_t count[MAX_NAMES], total_ns[MAX_NAMES];
    int n;
} names_t;

static int name_intern(names_t *t, const char *s, size_t n)
{
    for (int i = 0; i < t->n; i++)
        if (t->len[i] == n && memcmp(t->s[i], s, n) == 0)
            return i;
    if (t->n == MAX_NAMES) {
        fprintf(stderr, "gen_trace: internal error: too many names\n");
        exit(3);
    }
    char *c = malloc(n + 1);
    if (!c)
        exit(3);
    memcpy(c, s, n);
    c[n] = 0;
    t->s[t->n] = c;
    t->len[t->n] = (uint16_t)n;
    return t->n++;
}

typedef struct {
    pnode_t n[MAX_NODES];
    int count;
} ptree_t;

/* Parse an outline into nodes; returns the first top-level node. */
static int parse_pipeline(ptree_t *pt, names_t *names, const char *const *lines, size_t nlines)
{
    int last_at[32];
    int first = -1;
    for (int i = 0; i < 32; i++)
        last_at[i] = -1;
    for (size_t li = 0; li < nlines; li++) {
        const char *p = lines[li];
        const char *eol = p + strlen(p);
        int indent = 0;
        while (p[indent] == ' ')
            indent++;
        int depth = indent / 2;
        const char *s = p + indent;
        const char *bar = NULL;
        for (const char *q = s; q + 2 < eol; q++)
            if (q[0] == ' ' && q[1] == '|' && q[2] == ' ') {
                bar = q;
                break;
            }
        const char *body_end = bar ? bar : eol;
        const char *eq = NULL;
        for (const char *q = s; q + 2 < body_end; q++)
            if (q[0] == ' ' && q[1] == '=' && q[2] == ' ') {
                eq = q;
                break;
            }
        if (pt->count == MAX_NODES || depth >= 31) {
            fprintf(stderr, "gen_trace: internal error: pipeline too large\n");
            exit(3);
        }
        pnode_t *nd = &pt->n[pt->count];
        memset(nd, 0, sizeof *nd);
        nd->child = nd->next = -1;
        nd->prob = 100;
        nd->cost = 400;
        nd->name = name_intern(names, s, (size_t)((eq ? eq : body_end) - s));
        if (eq) {
            nd->dkind = D_LIT;
            nd->lit = eq + 3;
            nd->litlen = (uint16_t)(body_end - (eq + 3));
        }
        for (const char *f = bar ? bar + 3 : eol; f < eol;) {
            while (f < eol && *f == ' ')
                f++;
            const char *fe = f;
            while (fe < eol && *fe != ' ')
                fe++;
            size_t fl = (size_t)(fe - f);
            if (fl == 2 && !memcmp(f, "fn", 2)) nd->rkind = R_FN;
            else if (fl == 3 && !memcmp(f, "scc", 3)) nd->rkind = R_SCC;
            else if (fl == 4 && !memcmp(f, "loop", 4)) nd->rkind = R_LOOP;
            else if (fl == 2 && !memcmp(f, "gx", 2)) nd->dkind = D_CGU_OTHER;
            else if (fl == 1 && *f == 'v') nd->is_virtual = 1;
            else if (fl == 1 && *f == 'm') nd->dkind = D_MODULE;
            else if (fl == 1 && *f == 'f') nd->dkind = D_FN;
            else if (fl == 1 && *f == 'd') nd->dkind = D_DECL;
            else if (fl == 1 && *f == 'g') nd->dkind = D_CGU;
            else if (fl == 1 && *f == 'n') nd->dkind = D_NONE;
            else if (fl > 1 && *f == 'p') nd->prob = (uint8_t)atoi(f + 1);
            else if (fl > 1 && *f == 'c') nd->cost = (uint32_t)atol(f + 1);
            else if (fl > 1 && *f == 'r') {
                nd->rkind = R_RANGE;
                nd->rlo = (uint16_t)atoi(f + 1);
                const char *dash = memchr(f, '-', fl);
                nd->rhi = dash ? (uint16_t)atoi(dash + 1) : nd->rlo;
            } else if (fl) {
                fprintf(stderr, "gen_trace: internal error: flag '%.*s'\n", (int)fl, f);
                exit(3);
            }
            f = fe;
        }
        int id = pt->count++;
        if (depth == 0) {
            if (last_at[0] >= 0)
                pt->n[last_at[0]].next = id;
            else
                first = id;
        } else {
            int parent = last_at[depth - 1];
            if (parent < 0) {
                fprintf(stderr, "gen_trace: internal error: bad indent\n");
                exit(3);
            }
            if (last_at[depth] >= 0 && last_at[depth] > parent)
                pt->n[last_at[depth]].next = id;
            else
                pt->n[parent].child = id;
        }
        last_at[depth] = id;
        for (int d = depth + 1; d < 32; d++)
            last_at[d] = -1;
    }
    return first;
}

/* ------------------------------------------------------------------ */
/* LLVM-shaped generation.                                             */

static const char *DECLS[] = {
    "llvm.memcpy.p0.p0.i64", "llvm.memset.p0.i64", "llvm.memmove.p0.p0.i64",
    "llvm.lifetime.start.p0", "llvm.lifetime.end.p0", "llvm.assume",
    "llvm.expect.i1", "llvm.umul.with.overflow.i64", "llvm.uadd.with.overflow.i64",
    "llvm.ctpop.i64", "llvm.cttz.i64", "llvm.smax.i64", "llvm.umin.i64",
    "llvm.experimental.noalias.scope.decl", "memcmp", "bcmp", "memcpy", "memmove",
    "rust_eh_personality", "__rust_alloc", "__rust_dealloc", "__rust_realloc",
    "__rust_alloc_zeroed", "__rust_no_alloc_shim_is_unstable_v2",
};

typedef struct {
    uint32_t sym;     /* offset of the symbol in the module arena */
    uint16_t symlen;
    uint8_t loops;
    float size;       /* relative cost of every pass on this function */
} mfn_t;

typedef struct {
    mfn_t *fn;
    uint32_t nfn, cap;
    uint32_t *scc;    /* SCC k covers fn[scc[k] .. scc[k+1]) */
    uint32_t nscc;
    char *arena;
    size_t alen, acap;
    char name[96];    /* "crate.hash-cgu.NN" */
    size_t namelen;
    int cgu;
} module_t;

typedef struct {
    int kind;
    uint32_t lo, hi;  /* current function set */
    uint32_t fn;      /* current function (C_FN) */
    uint32_t scc;     /* current SCC (C_SCC) */
} ctx_t;

typedef struct {
    out_t *o;
    rng_t r;
    names_t *names;
    ptree_t *pt;
    crate_t crates[NCRATES];
    uint64_t seed;
    uint64_t pool;    /* symbol pool size */
    uint64_t t;       /* simulated clock, ns */
    char prefix[64];  /* {"pid":P,"tid":T,"ts": */
    size_t prefixlen;
    int first;        /* no event written yet: no leading comma */
    int stack[64];
    int depth;
    uint64_t events, zero_dur;
    const module_t *mod;
    int ncgu, cgu_width;
    char sccbuf[8192];
    char cgubuf[96];
} gen_t;

static void module_free(module_t *m)
{
    free(m->fn);
    free(m->scc);
    free(m->arena);
    memset(m, 0, sizeof *m);
}

static void module_name(const gen_t *g, int cgu, char *buf, size_t cap)
{
    snprintf(buf, cap, "%s.%016" PRIx64 "-cgu.%0*d", g->crates[CR_LOCAL].name,
             mix64(g->seed ^ 0xc0de), g->cgu_width, cgu);
}

static void module_add_fn(gen_t *g, module_t *m, uint64_t idx, float size, uint8_t loops)
{
    if (m->nfn == m->cap) {
        m->cap = m->cap ? m->cap * 2 : 256;
        m->fn = realloc(m->fn, m->cap * sizeof *m->fn);
        if (!m->fn)
            exit(3);
    }
    if (m->alen + 1024 > m->acap) {
        m->acap = m->acap ? m->acap * 2 : 65536;
        m->arena = realloc(m->arena, m->acap);
        if (!m->arena)
            exit(3);
    }
    size_t n = make_symbol(m->arena + m->alen, 1024, g->crates, g->seed, idx);
    mfn_t *f = &m->fn[m->nfn++];
    f->sym = (uint32_t)m->alen;
    f->symlen = (uint16_t)n;
    f->size = size;
    f->loops = loops;
    m->alen += n + 1;
}

/* Pick a pool index: hot generic instantiations recur, the rest spread out. */
static uint64_t pick_symbol(gen_t *g)
{
    uint64_t hot = g->pool / 40 + 8;
    if (rng_pct(&g->r, 30)) {
        double u = rng_unit(&g->r);
        return (uint64_t)(u * u * u * (double)hot);
    }
    return hot + rng_next(&g->r) % (g->pool);
}

static void module_build(gen_t *g, module_t *m, int cgu, uint32_t nfn)
{
    memset(m, 0, sizeof *m);
    m->cgu = cgu;
    module_name(g, cgu, m->name, sizeof m->name);
    m->namelen = strlen(m->name);
    for (uint32_t i = 0; i < nfn; i++) {
        double sz = rng_lognormal(&g->r, -0.6, 1.3);
        if (sz < 0.03) sz = 0.03;
        if (sz > 2000) sz = 2000;
        uint8_t loops = rng_pct(&g->r, 72) ? 0 : (uint8_t)(1 + rng_geom(&g->r, 0.35, 7));
        module_add_fn(g, m, pick_symbol(g), (float)sz, loops);
    }
    /* Post-order SCCs: mostly singletons, a few small cycles. */
    m->scc = malloc((nfn + 2) * sizeof *m->scc);
    if (!m->scc)
        exit(3);
    uint32_t k = 0;
    for (uint32_t i = 0; i < nfn;) {
        m->scc[k++] = i;
        i += rng_pct(&g->r, 93) ? 1 : 2 + rng_below(&g->r, 4);
    }
    m->nscc = k;
    m->scc[k] = nfn;
}

/* The ThinLTO backend module: the cgu's functions (some may have been
 * inlined away) plus imported hot ones; nfn steers the output size. */
static void module_for_lto(gen_t *g, module_t *dst, const module_t *src, uint32_t nfn)
{
    memset(dst, 0, sizeof *dst);
    dst->cgu = src->cgu;
    memcpy(dst->name, src->name, sizeof dst->name);
    dst->namelen = src->namelen;
    dst->cap = nfn + 2;
    dst->fn = malloc(dst->cap * sizeof *dst->fn);
    dst->acap = src->alen + 1;
    dst->arena = malloc(dst->acap);
    if (!dst->fn || !dst->arena)
        exit(3);
    memcpy(dst->arena, src->arena, src->alen);
    dst->alen = src->alen;
    for (uint32_t i = 0; i < src->nfn && dst->nfn < nfn; i++)
        dst->fn[dst->nfn++] = src->fn[i];
    uint64_t hot = g->pool / 40 + 8;
    while (dst->nfn < nfn) {
        double u = rng_unit(&g->r);
        module_add_fn(g, dst, (uint64_t)(u * u * (double)hot),
                      (float)(0.1 + rng_unit(&g->r)), 0);
    }
    dst->scc = malloc((dst->nfn + 2) * sizeof *dst->scc);
    if (!dst->scc)
        exit(3);
    uint32_t k = 0;
    for (uint32_t i = 0; i < dst->nfn;) {
        dst->scc[k++] = i;
        i += rng_pct(&g->r, 93) ? 1 : 2 + rng_below(&g->r, 4);
    }
    dst->nscc = k;
    dst->scc[k] = dst->nfn;
}

static void set_thread(gen_t *g, uint32_t pid, uint32_t tid)
{
    char *p = g->prefix;
    PUT_LIT(p, "{\"pid\":");
    p = put_u64(p, pid);
    PUT_LIT(p, ",\"tid\":");
    p = put_u64(p, tid);
    PUT_LIT(p, ",\"ts\":");
    g->prefixlen = (size_t)(p - g->prefix);
}

/* Write one X event; the hot path of the whole program. */
static void emit_x(gen_t *g, uint64_t start_ns, uint64_t end_ns, int name,
                   const char *det, size_t dlen)
{
    const names_t *nt = g->names;
    char *p = out_reserve(g->o, 96 + g->prefixlen + nt->len[name] + dlen);
    if (!g->first)
        *p++ = ',';
    g->first = 0;
    uint64_t ts = start_ns / 1000, dur = end_ns / 1000 - ts;
    p = put_mem(p, g->prefix, g->prefixlen);
    p = put_u64(p, ts);
    PUT_LIT(p, ",\"ph\":\"X\",\"dur\":");
    p = put_u64(p, dur);
    PUT_LIT(p, ",\"name\":\"");
    p = put_mem(p, nt->s[name], nt->len[name]);
    if (det) {
        PUT_LIT(p, "\",\"args\":{\"detail\":\"");
        p = put_mem(p, det, dlen);
        PUT_LIT(p, "\"}}");
    } else {
        PUT_LIT(p, "\"}");
    }
    out_commit(g->o, p);
    g->events++;
    g->zero_dur += dur == 0;
}

static const char *scc_detail(gen_t *g, uint32_t scc, size_t *len)
{
    const module_t *m = g->mod;
    char *p = g->sccbuf, *end = g->sccbuf + sizeof g->sccbuf - 4;
    *p++ = '(';
    for (uint32_t i = m->scc[scc]; i < m->scc[scc + 1]; i++) {
        const mfn_t *f = &m->fn[i];
        if (p + f->symlen + 3 >= end)
            break;
        if (i > m->scc[scc])
            *p++ = ',', *p++ = ' ';
        p = put_mem(p, m->arena + f->sym, f->symlen);
    }
    *p++ = ')';
    *len = (size_t)(p - g->sccbuf);
    return g->sccbuf;
}

static void run_node(gen_t *g, int ni, const ctx_t *ctx);

static void run_children(gen_t *g, int first, const ctx_t *ctx)
{
    for (int c = first; c >= 0; c = g->pt->n[c].next)
        run_node(g, c, ctx);
}

/* Tuned against real rustc traces: ~29% of slices round to "dur":0 and the
 * duration percentiles (p50 1 us, p90 ~30 us, p99 ~1 ms) are similar. */
#define COST_SCALE 1.9
#define HEAVY_NS 1500
#define HEAVY_EXP 0.7

/* One slice: self time around the children, then the event (post-order). */
static void run_slice(gen_t *g, const pnode_t *nd, const ctx_t *ctx)
{
    const module_t *m = g->mod;
    double scale;
    if (ctx->kind == C_FN)
        scale = m->fn[ctx->fn].size;
    else if (ctx->kind == C_SCC) {
        scale = 0;
        for (uint32_t i = ctx->lo; i < ctx->hi; i++)
            scale += m->fn[i].size;
    } else /* only real module passes walk every function */
        scale = nd->cost >= HEAVY_NS ? 0.5 + m->nfn / 60.0 : 1.0;
    /* Heavy transforms grow faster than cheap (often cached) analyses. */
    double heavy = nd->cost > HEAVY_NS ? pow(nd->cost / (double)HEAVY_NS, HEAVY_EXP) : 1.0;
    double self = nd->cost * heavy * COST_SCALE * scale * rng_lognormal(&g->r, 0.0, 0.7);
    uint64_t selfns = (uint64_t)self + 20;
    uint64_t pre = nd->child >= 0 ? (uint64_t)(rng_unit(&g->r) * 0.5 * (double)selfns) : 0;

    uint64_t start = g->t;
    g->t += pre;
    g->stack[g->depth++] = nd->name;
    run_children(g, nd->child, ctx);
    g->depth--;
    g->t += selfns - pre;
    uint64_t end = g->t;
    g->t += 30 + rng_below(&g->r, 120); /* bookkeeping between scopes */

    const char *det = NULL;
    size_t dlen = 0;
    int dk = nd->dkind;
    if (dk == D_CTX)
        dk = ctx->kind == C_MODULE ? D_MODULE : ctx->kind == C_SCC ? D_CGU_OTHER + 100 : D_FN;
    switch (dk) {
    case D_MODULE: det = "[module]"; dlen = 8; break;
    case D_FN: {
        uint32_t fi = ctx->kind == C_FN ? ctx->fn
                                        : ctx->lo + rng_below(&g->r, ctx->hi - ctx->lo);
        det = m->arena + m->fn[fi].sym;
        dlen = m->fn[fi].symlen;
        break;
    }
    case D_CGU_OTHER + 100: det = scc_detail(g, ctx->scc, &dlen); break;
    case D_DECL:
        if (rng_pct(&g->r, 40) && m->nfn) {
            const mfn_t *f = &m->fn[rng_below(&g->r, m->nfn)];
            det = m->arena + f->sym;
            dlen = f->symlen;
        } else {
            det = DECLS[rng_below(&g->r, sizeof DECLS / sizeof *DECLS)];
            dlen = strlen(det);
        }
        break;
    case D_CGU: det = m->name; dlen = m->namelen; break;
    case D_CGU_OTHER: {
        int other = (m->cgu + 1 + (int)rng_below(&g->r, (uint32_t)(g->ncgu > 1 ? g->ncgu - 1 : 1))) % g->ncgu;
        module_name(g, other, g->cgubuf, sizeof g->cgubuf);
        det = g->cgubuf;
        dlen = strlen(det);
        break;
    }
    case D_LIT: det = nd->lit; dlen = nd->litlen; break;
    default: break; /* D_NONE */
    }
    emit_x(g, start, end, nd->name, det, dlen);

    /* LLVM's totals skip a scope nested in one of the same name. */
    for (int i = 0; i < g->depth; i++)
        if (g->stack[i] == nd->name)
            return;
    g->names->count[nd->name]++;
    g->names->total_ns[nd->name] += end - start;
}

static void run_node(gen_t *g, int ni, const ctx_t *ctx)
{
    const pnode_t *nd = &g->pt->n[ni];
    const module_t *m = g->mod;
    ctx_t c = *ctx;
    uint32_t reps = 1;
    switch (nd->rkind) {
    case R_RANGE: reps = nd->rlo + rng_below(&g->r, (uint32_t)(nd->rhi - nd->rlo + 1)); break;
    case R_FN: reps = ctx->hi - ctx->lo; break;
    case R_SCC: reps = m->nscc; break;
    case R_LOOP: reps = ctx->kind == C_FN ? m->fn[ctx->fn].loops : 0; break;
    default: break;
    }
    for (uint32_t i = 0; i < reps; i++) {
        if (nd->prob < 100 && !rng_pct(&g->r, nd->prob))
            continue;
        if (nd->rkind == R_FN) {
            c.kind = C_FN;
            c.fn = ctx->lo + i;
        } else if (nd->rkind == R_SCC) {
            c.kind = C_SCC;
            c.scc = i;
            c.lo = m->scc[i];
            c.hi = m->scc[i + 1];
        }
        if (nd->is_virtual)
            run_children(g, nd->child, &c);
        else
            run_slice(g, nd, &c);
    }
}

static void run_pipeline(gen_t *g, int root, const module_t *m)
{
    ctx_t c = {.kind = C_MODULE, .lo = 0, .hi = m->nfn};
    g->mod = m;
    g->depth = 0;
    run_children(g, root, &c);
}

typedef struct {
    uint64_t size, events; /* target (one of them non-zero) */
    uint64_t seed;
    int threads;
    int shape_chromium;
    int quiet;
    const char *out;
} opts_t;

static void gen_init(gen_t *g, out_t *o, names_t *names, ptree_t *pt, uint64_t seed)
{
    memset(g, 0, sizeof *g);
    g->o = o;
    g->names = names;
    g->pt = pt;
    g->seed = seed;
    g->r.s = mix64(seed ^ 0x7e57ab1e);
    g->first = 1;
    g->crates[0].name = LOCAL_CRATES[mix64(seed) % (sizeof LOCAL_CRATES / sizeof *LOCAL_CRATES)];
    for (int i = 1; i < NCRATES; i++)
        g->crates[i].name = DEP_CRATES[i - 1];
    for (int i = 0; i < NCRATES; i++)
        g->crates[i].hash = mix64(strhash(g->crates[i].name) ^ (i == 0 ? seed : 0)) | 1;
}

typedef struct { double per_fn, fixed; } cost_t;

/* Measure bytes (or events) per function of each pipeline, writing nothing. */
static void calibrate(const opts_t *op, names_t *names, ptree_t *pt, int opt_root,
                      int lto_root, cost_t *opt_c, cost_t *lto_c)
{
    static char buf[1 << 16];
    out_t o = {.buf = buf, .cap = sizeof buf, .discard = 1};
    gen_t *g = malloc(sizeof *g);
    if (!g)
        exit(3);
    const uint32_t sizes[2] = {8, 264};
    double ov[2], lv[2];
    for (int k = 0; k < 2; k++) {
        gen_init(g, &o, names, pt, op->seed ^ 0xca1b);
        g->pool = 4096;
        g->ncgu = 8;
        g->cgu_width = 2;
        g->t = 500000000;
        set_thread(g, 12345, 12399); /* same prefix length as the real run */
        module_t m, lm;
        module_build(g, &m, 1, sizes[k]);
        uint64_t b0 = o.total, e0 = g->events;
        run_pipeline(g, opt_root, &m);
        ov[k] = op->size ? (double)(o.total - b0) : (double)(g->events - e0);
        module_for_lto(g, &lm, &m, m.nfn + m.nfn / 10);
        b0 = o.total, e0 = g->events;
        run_pipeline(g, lto_root, &lm);
        lv[k] = op->size ? (double)(o.total - b0) : (double)(g->events - e0);
        module_free(&m);
        module_free(&lm);
    }
    opt_c->per_fn = (ov[1] - ov[0]) / (sizes[1] - sizes[0]);
    opt_c->fixed = ov[0] - opt_c->per_fn * sizes[0];
    lto_c->per_fn = (lv[1] - lv[0]) / (sizes[1] - sizes[0]);
    lto_c->fixed = lv[0] - lto_c->per_fn * sizes[0];
    if (opt_c->fixed < 0) opt_c->fixed = 0;
    if (lto_c->fixed < 0) lto_c->fixed = 0;
    /* The calibration must not leak into the real run's totals. */
    memset(names->count, 0, sizeof names->count);
    memset(names->total_ns, 0, sizeof names->total_ns);
    free(g);
}

typedef struct { int name; uint64_t count, total_ns; } total_t;

/* LLVM's order: longest total first, then by name. qsort has no context
 * argument in C11, hence the file-scope pointer. */
static const names_t *g_sort_names;

static int cmp_total(const void *a, const void *b)
{
    const total_t *x = a, *y = b;
    uint64_t dx = x->total_ns / 1000, dy = y->total_ns / 1000;
    if (dx != dy)
        return dx > dy ? -1 : 1;
    return strcmp(g_sort_names->s[x->name], g_sort_names->s[y->name]);
}

static void gen_llvm(const opts_t *op, out_t *o, uint64_t *events_out, uint64_t *zero_out)
{
    static names_t names;
    static ptree_t pt;
    int opt_root = parse_pipeline(&pt, &names, OPT_PIPELINE, sizeof OPT_PIPELINE / sizeof *OPT_PIPELINE);
    int lto_root = parse_pipeline(&pt, &names, LTO_PIPELINE, sizeof LTO_PIPELINE / sizeof *LTO_PIPELINE);
    int n_coord = name_intern(&names, "Drop dead symbols and propagate attributes", 42);

    cost_t oc, lc;
    calibrate(op, &names, &pt, opt_root, lto_root, &oc, &lc);

    gen_t *g = malloc(sizeof *g);
    if (!g)
        exit(3);
    gen_init(g, o, &names, &pt, op->seed);

    double target = op->size ? (double)op->size : (double)op->events;
    double per_fn = oc.per_fn + lc.per_fn, fixed = oc.fixed + lc.fixed;
    int ncgu = op->threads;
    /* Tiny targets: fewer codegen units rather than empty ones. */
    while (ncgu > 1 && target < ncgu * (fixed + 6 * per_fn))
        ncgu--;
    g->ncgu = ncgu;
    g->cgu_width = ncgu > 100 ? 3 : 2;
    double trailer = op->size ? 130.0 * names.n + 110.0 * (2 * ncgu + 3) + 64 : names.n + 2 * ncgu + 3;
    double budget = target - trailer - ncgu * fixed;
    if (budget < ncgu * per_fn)
        budget = ncgu * per_fn;
    double total_fns = budget / per_fn;
    g->pool = (uint64_t)(total_fns * 2.0) + 256; /* most functions distinct */
    if (getenv("GEN_TRACE_DEBUG"))
        fprintf(stderr, "gen_trace: calibration opt %.0f+%.0f/fn lto %.0f+%.0f/fn; %d cgus, %.0f functions\n",
                oc.fixed, oc.per_fn, lc.fixed, lc.per_fn, ncgu, total_fns);

    /* cgu weights: real codegen units differ a lot in size. */
    double *w = malloc(ncgu * sizeof *w), wsum = 0;
    module_t *mods = calloc((size_t)ncgu, sizeof *mods);
    int *order = malloc(ncgu * sizeof *order), *lorder = malloc(ncgu * sizeof *lorder);
    uint32_t pid = 2000 + rng_below(&g->r, 60000);
    uint32_t main_tid = pid + 5, coord_tid = pid + 8;
    uint32_t *opt_tid = malloc(ncgu * sizeof *opt_tid), *lto_tid = malloc(ncgu * sizeof *lto_tid);
    if (!w || !mods || !order || !lorder || !opt_tid || !lto_tid)
        exit(3);
    for (int i = 0; i < ncgu; i++) {
        w[i] = rng_lognormal(&g->r, 0, 0.45);
        wsum += w[i];
        order[i] = lorder[i] = i;
        opt_tid[i] = coord_tid + 1 + (uint32_t)i;
        lto_tid[i] = coord_tid + 1 + (uint32_t)(ncgu + 1 + i);
    }
    for (int i = ncgu - 1; i > 0; i--) { /* blocks appear in completion order */
        int j = (int)rng_below(&g->r, (uint32_t)i + 1), t = order[i];
        order[i] = order[j], order[j] = t;
        j = (int)rng_below(&g->r, (uint32_t)i + 1), t = lorder[i];
        lorder[i] = lorder[j], lorder[j] = t;
    }
    for (int i = 0; i < ncgu; i++) {
        double nf = budget * w[i] / wsum / per_fn;
        module_build(g, &mods[i], i, nf < 1 ? 1 : (uint32_t)(nf + 0.5));
    }

    out_str(o, "{\"traceEvents\":[");
    uint64_t t0 = 400000000ULL + rng_below(&g->r, 200000000), opt_end = 0;
    for (int k = 0; k < ncgu; k++) {
        int i = order[k];
        set_thread(g, pid, opt_tid[i]);
        g->t = t0 + (uint64_t)k * (2000000 + rng_below(&g->r, 6000000));
        run_pipeline(g, opt_root, &mods[i]);
        if (g->t > opt_end)
            opt_end = g->t;
    }
    /* The coordinator runs the ThinLTO index step between the two phases. */
    uint64_t coord_start = opt_end + 1000000 + rng_below(&g->r, 2000000);
    uint64_t coord_end = coord_start + 40000 + rng_below(&g->r, 80000);
    uint64_t lto_t0 = coord_end + 500000;
    double lto_done = 0, lto_fns = 0, lto_per_fn = lc.per_fn;
    for (int k = 0; k < ncgu; k++) {
        int i = lorder[k];
        /* Steer the remaining LTO modules' sizes towards the target so the
         * variance of everything generated so far is absorbed; the per-
         * function rate is re-estimated from the LTO modules already done. */
        double done = op->size ? (double)o->total : (double)g->events;
        double nominal = 0;
        for (int j = k; j < ncgu; j++)
            nominal += mods[lorder[j]].nfn * 1.1;
        if (lto_fns >= 50 && lto_done > k * lc.fixed)
            lto_per_fn = (lto_done - k * lc.fixed) / lto_fns;
        double f = (target - trailer - done - (ncgu - k) * lc.fixed) / (lto_per_fn * nominal);
        if (f < 0.02)
            f = 0.02;
        if (f > 50)
            f = 50;
        double nf = mods[i].nfn * 1.1 * f + 0.5;
        module_t lm;
        module_for_lto(g, &lm, &mods[i], nf < 1 ? 1 : (uint32_t)nf);
        set_thread(g, pid, lto_tid[i]);
        g->t = lto_t0 + rng_below(&g->r, 30000000);
        run_pipeline(g, lto_root, &lm);
        lto_done += (op->size ? (double)o->total : (double)g->events) - done;
        lto_fns += lm.nfn;
        module_free(&lm);
    }
    set_thread(g, pid, coord_tid);
    emit_x(g, coord_start, coord_end, n_coord, NULL, 0);
    names.count[n_coord]++;
    names.total_ns[n_coord] += coord_end - coord_start;

    /* "Total <name>" summaries, longest first, each on its own fake tid. */
    total_t *tot = malloc((size_t)names.n * sizeof *tot);
    int nt = 0;
    if (!tot)
        exit(3);
    for (int i = 0; i < names.n; i++)
        if (names.count[i])
            tot[nt++] = (total_t){i, names.count[i], names.total_ns[i]};
    g_sort_names = &names;
    qsort(tot, (size_t)nt, sizeof *tot, cmp_total);
    uint32_t fake_tid = lto_tid[0] + (uint32_t)ncgu + 1;
    for (int i = 0; i < nt; i++) {
        uint64_t dur_us = tot[i].total_ns / 1000;
        char *p = out_reserve(o, 256 + names.len[tot[i].name]);
        PUT_LIT(p, ",{\"pid\":");
        p = put_u64(p, pid);
        PUT_LIT(p, ",\"tid\":");
        p = put_u64(p, fake_tid + (uint32_t)i);
        PUT_LIT(p, ",\"ph\":\"X\",\"ts\":0,\"dur\":");
        p = put_u64(p, dur_us);
        PUT_LIT(p, ",\"name\":\"Total ");
        p = put_mem(p, names.s[tot[i].name], names.len[tot[i].name]);
        PUT_LIT(p, "\",\"args\":{\"count\":");
        p = put_u64(p, tot[i].count);
        PUT_LIT(p, ",\"avg ms\":");
        p = put_u64(p, dur_us / tot[i].count / 1000);
        PUT_LIT(p, "}}");
        out_commit(o, p);
        g->events++;
    }

    /* Metadata last, as rustc writes it. */
    out_fmt(o, ",{\"cat\":\"\",\"pid\":%u,\"tid\":%u,\"ts\":0,\"ph\":\"M\",\"name\":\"process_name\",\"args\":{\"name\":\"rustc\"}}", pid, main_tid);
    out_fmt(o, ",{\"cat\":\"\",\"pid\":%u,\"tid\":%u,\"ts\":0,\"ph\":\"M\",\"name\":\"thread_name\",\"args\":{\"name\":\"rustc\"}}", pid, main_tid);
    for (int k = 0; k < ncgu; k++)
        out_fmt(o, ",{\"cat\":\"\",\"pid\":%u,\"tid\":%u,\"ts\":0,\"ph\":\"M\",\"name\":\"thread_name\",\"args\":{\"name\":\"opt cgu.%0*d\"}}",
                pid, opt_tid[order[k]], g->cgu_width, order[k]);
    for (int k = 0; k < ncgu; k++)
        out_fmt(o, ",{\"cat\":\"\",\"pid\":%u,\"tid\":%u,\"ts\":0,\"ph\":\"M\",\"name\":\"thread_name\",\"args\":{\"name\":\"lto cgu.%0*d\"}}",
                pid, lto_tid[lorder[k]], g->cgu_width, lorder[k]);
    out_fmt(o, ",{\"cat\":\"\",\"pid\":%u,\"tid\":%u,\"ts\":0,\"ph\":\"M\",\"name\":\"thread_name\",\"args\":{\"name\":\"coordinator\"}}", pid, coord_tid);
    g->events += 3 + 2 * (uint64_t)ncgu;
    out_fmt(o, "],\"beginningOfTime\":%" PRIu64 "}",
            (uint64_t)1700000000000000ULL + mix64(op->seed ^ 0xb0b) % 90000000000000ULL);

    *events_out = g->events;
    *zero_out = g->zero_dur;
    for (int i = 0; i < ncgu; i++)
        module_free(&mods[i]);
    free(mods), free(w), free(order), free(lorder), free(opt_tid), free(lto_tid), free(tot);
    free(g);
}

/* ------------------------------------------------------------------ */
/* Chromium-shaped generation.                                         */

enum { TK_BROWSER_MAIN, TK_IO, TK_WORKER, TK_GPU_MAIN, TK_VIZ, TK_RENDER_MAIN,
       TK_COMPOSITOR, TK_RASTER, TK_NET, TK_NKINDS };

typedef struct { const char *cat, *name; } cname_t;
typedef struct { int kind; const char *name; int count; } tspec_t;

/* Per thread kind: names that appear inside a task. */
static const cname_t VOCAB_BROWSER[] = {
    {"toplevel", "ChannelMojo::OnMessageReceived"}, {"mojom", "Receive mojo message"},
    {"browser", "BrowserMainLoop::CreateThreads"}, {"navigation", "NavigationRequest::BeginNavigation"},
    {"navigation", "NavigationURLLoaderImpl::OnReceiveResponse"}, {"ui", "RenderWidgetHostImpl::ForwardInputEvent"},
    {"startup", "BrowserMainLoop::PreMainMessageLoopRun"}, {"base", "ScopedBlockingCall"},
    {"ipc", "IPC::ChannelProxy::Context::OnDispatchMessage"}, {"cc", "LayerTreeHost::UpdateLayers"},
};
static const cname_t VOCAB_IO[] = {
    {"mojom", "Receive mojo message"}, {"toplevel", "SimpleWatcher::OnHandleReady"},
    {"ipc", "ChannelAssociatedGroupController::Accept"}, {"net", "URLRequestHttpJob::Start"},
    {"net", "HttpCache::Transaction::DoLoop"}, {"base", "MessagePumpLibevent::OnLibeventNotification"},
};
static const cname_t VOCAB_WORKER[] = {
    {"base", "ScopedBlockingCall"}, {"toplevel", "TaskTracker::RunTask"},
    {"disabled-by-default-devtools.timeline", "V8.ScriptCompiler"},
    {"v8", "V8.GC_MC_BACKGROUND_MARKING"}, {"v8", "V8.GC_SCAVENGER_BACKGROUND_SCAVENGE_PARALLEL"},
    {"base", "File::Read"}, {"sql", "Database::Execute"}, {"leveldb", "LevelDBDatabaseImpl::Get"},
};
static const cname_t VOCAB_GPU[] = {
    {"gpu", "CommandBufferStub::OnAsyncFlush"}, {"gpu", "GLES2DecoderImpl::HandleDrawElements"},
    {"gpu", "SharedImageStub::ExecuteDeferredRequest"}, {"gpu", "SwapBuffers"},
    {"gpu", "GpuChannel::ExecuteDeferredRequest"}, {"skia", "GrDirectContext::flush"},
    {"gpu", "CommandBufferService:PutChanged"}, {"viz", "SkiaOutputSurfaceImplOnGpu::SwapBuffers"},
};
static const cname_t VOCAB_VIZ[] = {
    {"viz", "Display::DrawAndSwap"}, {"viz", "SurfaceAggregator::Aggregate"},
    {"viz", "DirectRenderer::DrawFrame"}, {"viz", "DisplayScheduler::OnBeginFrame"},
    {"viz", "Graphics.Pipeline.DrawAndSwap"}, {"cc", "BeginFrameSource::OnBeginFrame"},
};
static const cname_t VOCAB_RENDER[] = {
    {"devtools.timeline", "ParseHTML"}, {"devtools.timeline", "EvaluateScript"},
    {"v8", "v8.run"}, {"v8", "v8.compile"}, {"devtools.timeline", "FunctionCall"},
    {"devtools.timeline", "Layout"}, {"blink", "Document::UpdateStyleAndLayoutTree"},
    {"devtools.timeline", "UpdateLayoutTree"}, {"devtools.timeline", "Paint"},
    {"devtools.timeline", "HitTest"}, {"v8", "V8.GCScavenger"}, {"v8", "V8.GC_MC_MARK"},
    {"blink", "LocalFrameView::RunPostLifecycleSteps"}, {"devtools.timeline", "TimerFire"},
    {"devtools.timeline", "EventDispatch"}, {"blink.user_timing", "measure: hydrate"},
    {"loading", "ResourceFetcher::requestResource"}, {"v8", "V8.Execute"},
};
static const cname_t VOCAB_COMPOSITOR[] = {
    {"cc", "ProxyImpl::ScheduledActionDraw"}, {"cc", "LayerTreeHostImpl::PrepareToDraw"},
    {"cc", "LayerTreeHostImpl::BuildRasterQueue"}, {"cc", "Scheduler::BeginImplFrame"},
    {"cc", "ProxyImpl::ScheduledActionCommit"}, {"cc", "TileManager::PrepareTiles"},
};
static const cname_t VOCAB_RASTER[] = {
    {"cc", "TaskGraphRunner::RunTask"}, {"disabled-by-default-devtools.timeline", "RasterTask"},
    {"cc", "RasterBufferProvider::PlaybackToMemory"}, {"skia", "SkCanvas::drawPicture"},
    {"cc", "ImageDecodeTask"}, {"cc", "DisplayItemList::Raster"},
};
static const cname_t VOCAB_NET[] = {
    {"net", "HttpNetworkTransaction::DoLoop"}, {"net", "SSLClientSocketImpl::DoHandshakeLoop"},
    {"net", "HostResolverManager::Job::Start"}, {"net", "URLLoader::OnReceivedResponse"},
    {"netlog", "SOCKET_BYTES_RECEIVED"}, {"mojom", "Receive mojo message"},
};
static const struct { const cname_t *v; int n; } VOCAB[TK_NKINDS] = {
#define V(a) {a, (int)(sizeof a / sizeof *a)}
    V(VOCAB_BROWSER), V(VOCAB_IO), V(VOCAB_WORKER), V(VOCAB_GPU), V(VOCAB_VIZ),
    V(VOCAB_RENDER), V(VOCAB_COMPOSITOR), V(VOCAB_RASTER), V(VOCAB_NET),
#undef V
};

/* Already-escaped JSON strings that stress a byte scanner. */
static const char *TRICKY_NAMES[] = {
    "Document::write(\\\"<script src=\\\\\\\"a.js\\\\\\\">\\\")",
    "JS \\u00e9v\\u00e9nement \\u2603 handler",
    "measure: \\\"checkout\\\" \\ud83d\\ude80 flow",
    "HTMLParser \\\"},{\\\"ph\\\":\\\"B\\\"",
    "Ünïcødé task — 日本語",
    "C:\\\\Users\\\\dev\\\\app.js:12",
    "line\\nbreak\\ttab",
};
static const char *TRICKY_ARGS[] = {
    "{\"data\":{\"url\":\"https://example.test/api?q={\\\"a\\\":1},{\\\"b\\\":[2]}\",\"lineNumber\":12}}",
    "{\"snippet\":\"a},{b\",\"note\":\"\\\"quoted\\\" \\\\ backslash\"}",
    "{\"data\":{\"message\":\"console.log(\\\"},{\\\\\\\"ph\\\\\\\":\\\\\\\"E\\\\\\\"}\\\")\",\"level\":\"info\"}}",
    "{\"text\":\"\\u003cdiv\\u003e\\u0026amp;\\u003c/div\\u003e\"}",
};
static const char *SRC_FILES[] = {
    "base/task/sequence_manager/thread_controller_impl.cc",
    "mojo/public/cpp/system/simple_watcher.cc",
    "content/browser/renderer_host/render_widget_host_impl.cc",
    "third_party/blink/renderer/core/frame/local_frame_view.cc",
    "cc/scheduler/scheduler.cc", "gpu/ipc/service/command_buffer_stub.cc",
    "services/network/url_loader.cc", "components/viz/service/display/display.cc",
};
static const char *SRC_FUNCS[] = {
    "RunTask", "OnHandleReady", "ForwardInputEvent", "ScheduleAnimation",
    "BeginImplFrame", "OnAsyncFlush", "OnReceiveResponse", "DrawAndSwap", "PostTask",
};

typedef struct {
    uint32_t pid, tid;
    int kind, frac, is_main;
    uint64_t t, tts;       /* ns: wall and thread clocks */
    double busy;           /* fraction of time in tasks */
    char name[48];
    int sort;
} cthread_t;

typedef struct {
    uint64_t start, end, tstart, tend;
    int16_t parent;
    int8_t be;             /* B/E pair instead of X */
    int8_t special;        /* tricky name/args index + 1 */
    const char *cat, *name;
    int argk;
} cnode_t;

#define MAX_TASK_NODES 512

typedef struct {
    out_t *o;
    rng_t r;
    uint64_t events;
    cnode_t nodes[MAX_TASK_NODES];
    int nn;
} cgen_t;

static int c_build(cgen_t *c, const cthread_t *th, int parent, int depth, uint64_t *t)
{
    if (c->nn >= MAX_TASK_NODES)
        return -1;
    int id = c->nn++;
    cnode_t *n = &c->nodes[id];
    n->parent = (int16_t)parent;
    n->start = *t;
    n->be = rng_pct(&c->r, 35);
    n->special = rng_pct(&c->r, 1) ? (int8_t)(1 + rng_below(&c->r, 7)) : 0;
    n->argk = (int)rng_below(&c->r, 10);
    if (depth == 0) {
        n->cat = "toplevel";
        n->name = th->kind == TK_WORKER || th->kind == TK_RASTER ? "ThreadPool_RunTask"
                                                                 : "ThreadControllerImpl::RunTask";
        n->argk = 100; /* src_file/src_func */
    } else {
        const cname_t *v = &VOCAB[th->kind].v[rng_below(&c->r, (uint32_t)VOCAB[th->kind].n)];
        n->cat = v->cat;
        n->name = v->name;
    }
    *t += 200 + (uint64_t)rng_lognormal(&c->r, 6.5, 1.2);
    unsigned kids = depth >= 7 ? 0 : rng_geom(&c->r, depth == 0 ? 0.75 : 0.5 - depth * 0.04, 12);
    for (unsigned k = 0; k < kids; k++) {
        int ch = c_build(c, th, id, depth + 1, t);
        if (ch < 0)
            break;
        *t += 100 + (uint64_t)rng_lognormal(&c->r, 5.0, 1.0);
    }
    *t += 300 + (uint64_t)rng_lognormal(&c->r, 7.0, 1.6);
    c->nodes[id].end = *t;
    return id;
}

static char *put_ts(char *p, uint64_t ns, int frac)
{
    return frac ? put_us_frac(p, ns) : put_u64(p, ns / 1000);
}

static void c_begin_line(cgen_t *c)
{
    if (c->events++)
        out_mem(c->o, ",\n", 2);
}

static void c_args(cgen_t *c, char **pp, const cnode_t *n)
{
    char *p = *pp;
    if (n->special && n->special <= 4 && n->argk < 5) {
        const char *a = TRICKY_ARGS[(n->special - 1) % 4];
        p = put_mem(p, a, strlen(a));
    } else if (n->argk == 100) {
        PUT_LIT(p, "{\"src_file\":\"");
        const char *f = SRC_FILES[rng_below(&c->r, sizeof SRC_FILES / sizeof *SRC_FILES)];
        p = put_mem(p, f, strlen(f));
        PUT_LIT(p, "\",\"src_func\":\"");
        f = SRC_FUNCS[rng_below(&c->r, sizeof SRC_FUNCS / sizeof *SRC_FUNCS)];
        p = put_mem(p, f, strlen(f));
        PUT_LIT(p, "\"}");
    } else if (n->argk == 0) {
        PUT_LIT(p, "{\"data\":{\"frame\":\"0x");
        p = put_u64(p, 1000 + rng_below(&c->r, 9000));
        PUT_LIT(p, "\",\"url\":\"https://example.test/app.js\",\"lineNumber\":");
        p = put_u64(p, rng_below(&c->r, 5000));
        PUT_LIT(p, "}}");
    } else if (n->argk == 1) {
        PUT_LIT(p, "{\"urgent\":false,\"count\":");
        p = put_u64(p, rng_below(&c->r, 100));
        PUT_LIT(p, "}");
    } else {
        PUT_LIT(p, "{}");
    }
    *pp = p;
}

static void c_name(char **pp, const cnode_t *n)
{
    const char *s = n->special ? TRICKY_NAMES[n->special - 1] : n->name;
    *pp = put_mem(*pp, s, strlen(s));
}

/* Pre-order: X (written at begin, as Chrome does) or B, children, then E. */
static void c_emit(cgen_t *c, const cthread_t *th, int id)
{
    const cnode_t *n = &c->nodes[id];
    c_begin_line(c);
    char *p = out_reserve(c->o, 1024);
    PUT_LIT(p, "{\"args\":");
    c_args(c, &p, n);
    PUT_LIT(p, ",\"cat\":\"");
    p = put_mem(p, n->cat, strlen(n->cat));
    if (!n->be) {
        PUT_LIT(p, "\",\"dur\":");
        if (th->frac)
            p = put_us_frac(p, n->end - n->start);
        else
            p = put_u64(p, n->end / 1000 - n->start / 1000);
        PUT_LIT(p, ",\"name\":\"");
    } else {
        PUT_LIT(p, "\",\"name\":\"");
    }
    c_name(&p, n);
    if (n->be)
        PUT_LIT(p, "\",\"ph\":\"B\",\"pid\":");
    else
        PUT_LIT(p, "\",\"ph\":\"X\",\"pid\":");
    p = put_u64(p, th->pid);
    if (th->is_main && !n->be) {
        PUT_LIT(p, ",\"tdur\":");
        p = put_u64(p, (n->end - n->start) * 7 / 10000);
    }
    PUT_LIT(p, ",\"tid\":");
    p = put_u64(p, th->tid);
    PUT_LIT(p, ",\"ts\":");
    p = put_ts(p, n->start, th->frac);
    if (th->is_main) {
        PUT_LIT(p, ",\"tts\":");
        p = put_u64(p, (th->tts + (n->start - c->nodes[0].start) * 7 / 10) / 1000);
    }
    PUT_LIT(p, "}");
    out_commit(c->o, p);

    for (int k = id + 1; k < c->nn; k++)
        if (c->nodes[k].parent == id)
            c_emit(c, th, k);

    /* An instant now and then, between a slice's children and its end. */
    if (rng_pct(&c->r, 4)) {
        c_begin_line(c);
        p = out_reserve(c->o, 512);
        PUT_LIT(p, "{\"args\":{},\"cat\":\"toplevel.flow\",\"name\":\"");
        const char *in = rng_pct(&c->r, 50) ? "SequenceManager PostTask" : "Send mojo message";
        p = put_mem(p, in, strlen(in));
        PUT_LIT(p, "\",\"ph\":\"");
        *p++ = id & 2 ? 'I' : 'i';
        PUT_LIT(p, "\",\"pid\":");
        p = put_u64(p, th->pid);
        PUT_LIT(p, ",\"s\":\"t\",\"tid\":");
        p = put_u64(p, th->tid);
        PUT_LIT(p, ",\"ts\":");
        p = put_ts(p, n->end > n->start ? n->end - 1 : n->end, th->frac);
        PUT_LIT(p, "}");
        out_commit(c->o, p);
    }

    if (n->be) {
        c_begin_line(c);
        p = out_reserve(c->o, 512);
        PUT_LIT(p, "{\"args\":{},\"cat\":\"");
        p = put_mem(p, n->cat, strlen(n->cat));
        PUT_LIT(p, "\",\"name\":\"");
        c_name(&p, n);
        PUT_LIT(p, "\",\"ph\":\"E\",\"pid\":");
        p = put_u64(p, th->pid);
        PUT_LIT(p, ",\"tid\":");
        p = put_u64(p, th->tid);
        PUT_LIT(p, ",\"ts\":");
        p = put_ts(p, n->end, th->frac);
        PUT_LIT(p, "}");
        out_commit(c->o, p);
    }
}

static void gen_chromium(const opts_t *op, out_t *o, uint64_t *events_out, uint64_t *zero_out)
{
    cgen_t *c = calloc(1, sizeof *c);
    if (!c)
        exit(3);
    c->o = o;
    c->r.s = mix64(op->seed ^ 0xc4c4);
    int scale = op->threads > 0 ? op->threads : 16;

    /* Processes and their threads; worker counts follow --threads. */
    struct { const char *pname; int nrend; } procs[8] = {
        {"Browser", 0}, {"GPU Process", 0}, {"Renderer", 1}, {"Renderer", 1},
        {"Renderer", 1}, {"Renderer", 1}, {"Renderer", 1}, {"Network Service", 0},
    };
    uint32_t pids[8];
    cthread_t *th = calloc(1024, sizeof *th);
    int nth = 0;
    if (!th)
        exit(3);
    uint64_t base = 180000000000000ULL + (uint64_t)rng_below(&c->r, 1000000) * 1000000ULL;
    for (int pi = 0; pi < 8; pi++) {
        pids[pi] = 1000 + (uint32_t)pi * 97 + rng_below(&c->r, 50) * 1000;
        tspec_t spec[8];
        int ns = 0;
        int wk = scale / 4 + 1; /* default 16 -> 5 workers per process */
        if (pi == 0) {
            spec[ns++] = (tspec_t){TK_BROWSER_MAIN, "CrBrowserMain", 1};
            spec[ns++] = (tspec_t){TK_IO, "Chrome_IOThread", 1};
            spec[ns++] = (tspec_t){TK_WORKER, "ThreadPoolForegroundWorker", wk * 2};
            spec[ns++] = (tspec_t){TK_WORKER, "ThreadPoolBackgroundWorker", wk};
            spec[ns++] = (tspec_t){TK_IO, "ThreadPoolServiceThread", 1};
        } else if (pi == 1) {
            spec[ns++] = (tspec_t){TK_GPU_MAIN, "CrGpuMain", 1};
            spec[ns++] = (tspec_t){TK_VIZ, "VizCompositorThread", 1};
            spec[ns++] = (tspec_t){TK_IO, "Chrome_ChildIOThread", 1};
            spec[ns++] = (tspec_t){TK_WORKER, "ThreadPoolForegroundWorker", wk};
        } else if (pi == 7) {
            spec[ns++] = (tspec_t){TK_NET, "CrUtilityMain", 1};
            spec[ns++] = (tspec_t){TK_NET, "NetworkService", 1};
            spec[ns++] = (tspec_t){TK_IO, "Chrome_ChildIOThread", 1};
            spec[ns++] = (tspec_t){TK_WORKER, "ThreadPoolForegroundWorker", wk};
        } else {
            spec[ns++] = (tspec_t){TK_RENDER_MAIN, "CrRendererMain", 1};
            spec[ns++] = (tspec_t){TK_COMPOSITOR, "Compositor", 1};
            spec[ns++] = (tspec_t){TK_IO, "Chrome_ChildIOThread", 1};
            spec[ns++] = (tspec_t){TK_RASTER, "CompositorTileWorker", wk - 1 > 1 ? wk - 1 : 1};
            spec[ns++] = (tspec_t){TK_WORKER, "ThreadPoolForegroundWorker", wk};
            spec[ns++] = (tspec_t){TK_WORKER, "DedicatedWorker thread", 1};
        }
        uint32_t tid = pids[pi];
        for (int s = 0; s < ns; s++)
            for (int k = 0; k < spec[s].count && nth < 1024; k++) {
                cthread_t *t = &th[nth++];
                t->pid = pids[pi];
                t->tid = s == 0 ? pids[pi] : tid;
                tid += 1 + rng_below(&c->r, 3);
                if (s == 0)
                    tid++;
                t->kind = spec[s].kind;
                t->is_main = s == 0;
                t->frac = pi == 4; /* one renderer exported with ns precision */
                t->busy = t->is_main ? 0.5 : spec[s].kind == TK_WORKER ? 0.1 : 0.25;
                t->t = base + rng_below(&c->r, 50000000);
                t->tts = rng_below(&c->r, 1000000) * 1000ULL;
                t->sort = s;
                if (spec[s].count > 1 && spec[s].kind == TK_RASTER)
                    snprintf(t->name, sizeof t->name, "%s%d", spec[s].name, k + 1);
                else
                    snprintf(t->name, sizeof t->name, "%s", spec[s].name);
            }
    }

    out_str(o, "{\"traceEvents\":[\n");
    /* Metadata first, as Perfetto's JSON export writes it. */
    for (int pi = 0; pi < 8; pi++) {
        c_begin_line(c);
        out_fmt(o, "{\"args\":{\"name\":\"%s\"},\"cat\":\"__metadata\",\"name\":\"process_name\",\"ph\":\"M\",\"pid\":%u,\"tid\":%u,\"ts\":0}",
                procs[pi].pname, pids[pi], pids[pi]);
        c_begin_line(c);
        out_fmt(o, "{\"args\":{\"sort_index\":%d},\"cat\":\"__metadata\",\"name\":\"process_sort_index\",\"ph\":\"M\",\"pid\":%u,\"tid\":%u,\"ts\":0}",
                pi - 5, pids[pi], pids[pi]);
    }
    for (int i = 0; i < nth; i++) {
        c_begin_line(c);
        out_fmt(o, "{\"args\":{\"name\":\"%s\"},\"cat\":\"__metadata\",\"name\":\"thread_name\",\"ph\":\"M\",\"pid\":%u,\"tid\":%u,\"ts\":0}",
                th[i].name, th[i].pid, th[i].tid);
        if (th[i].is_main) {
            c_begin_line(c);
            out_fmt(o, "{\"args\":{\"sort_index\":%d},\"cat\":\"__metadata\",\"name\":\"thread_sort_index\",\"ph\":\"M\",\"pid\":%u,\"tid\":%u,\"ts\":0}",
                    -1, th[i].pid, th[i].tid);
        }
    }

    double heap[8] = {0};
    for (int pi = 0; pi < 8; pi++)
        heap[pi] = 8e6 + rng_below(&c->r, 30000000);
    uint64_t ntasks = 0;
    for (;;) {
        if (ntasks && (op->size ? o->total >= op->size - (op->size > 256 ? 256 : 0)
                                : c->events >= op->events))
            break;
        /* The thread that is furthest behind runs its next task. */
        int best = 0;
        for (int i = 1; i < nth; i++)
            if (th[i].t < th[best].t)
                best = i;
        cthread_t *t = &th[best];
        c->nn = 0;
        uint64_t clock = t->t;
        c_build(c, t, -1, 0, &clock);
        c_emit(c, t, 0);
        uint64_t len = clock - t->t;
        t->tts += len * 7 / 10;
        t->t = clock + (uint64_t)((double)len * (1.0 / t->busy - 1.0) * rng_unit(&c->r) * 2.0) + 1000;
        ntasks++;

        /* Counters: the renderer's V8 heap (two series) and a frame rate. */
        if (ntasks % 23 == 0) {
            int pi = 2 + (int)rng_below(&c->r, 5);
            const cthread_t *mt = NULL;
            for (int i = 0; i < nth; i++)
                if (th[i].pid == pids[pi] && th[i].is_main)
                    mt = &th[i];
            heap[pi] += rng_normal(&c->r) * 1e6;
            if (heap[pi] < 2e6)
                heap[pi] = 2e6;
            c_begin_line(c);
            char *p = out_reserve(o, 256);
            PUT_LIT(p, "{\"args\":{\"total_bytes\":");
            p = put_u64(p, (uint64_t)(heap[pi] * 1.5));
            PUT_LIT(p, ",\"used_bytes\":");
            p = put_u64(p, (uint64_t)heap[pi]);
            PUT_LIT(p, "},\"cat\":\"v8\",\"name\":\"V8.Heap\",\"ph\":\"C\",\"pid\":");
            p = put_u64(p, pids[pi]);
            PUT_LIT(p, ",\"tid\":");
            p = put_u64(p, mt ? mt->tid : pids[pi]);
            PUT_LIT(p, ",\"ts\":");
            p = put_ts(p, mt ? mt->t : t->t, mt ? mt->frac : 0);
            PUT_LIT(p, "}");
            out_commit(o, p);
        }
        if (ntasks % 61 == 0) {
            c_begin_line(c);
            out_fmt(o, "{\"args\":{\"value\":%.1f},\"cat\":\"viz\",\"name\":\"FrameRate\",\"ph\":\"C\",\"pid\":%u,\"tid\":%u,\"ts\":%" PRIu64 "}",
                    50.0 + rng_unit(&c->r) * 10.0, pids[1], pids[1], th[0].t / 1000);
        }
    }
    out_str(o, "\n],\n\"metadata\":{\"clock-domain\":\"LINUX_CLOCK_MONOTONIC\","
               "\"product-version\":\"Chrome/120.0.6099.109\","
               "\"trace-config\":\"{\\\"record_mode\\\":\\\"record-until-full\\\","
               "\\\"included_categories\\\":[\\\"*\\\"],\\\"excluded_categories\\\":[\\\"},{\\\"]}\","
               "\"user-agent\":\"Mozilla/5.0 (X11; Linux x86_64) gen_trace\"}}\n");
    *events_out = c->events;
    *zero_out = 0;
    free(th);
    free(c);
}

/* ------------------------------------------------------------------ */
/* Command line.                                                       */

static void usage(FILE *f)
{
    fputs(
"usage: gen_trace [--size BYTES | --events N] [--seed S] [--threads T]\n"
"                 [--shape llvm|chromium] [-o OUT] [--quiet]\n"
"\n"
"Writes a deterministic synthetic Chrome trace (same arguments, same bytes).\n"
"\n"
"  --size BYTES     approximate output size; K, M, G suffixes are powers of\n"
"                   1024 (default 10M)\n"
"  --events N       approximate number of events instead; K, M, G are powers\n"
"                   of 1000\n"
"  --seed S         PRNG seed (default 1)\n"
"  --threads T      llvm: codegen units, each an 'opt' and an 'lto' thread\n"
"                   (default 16); chromium: scales worker threads (default 16,\n"
"                   about 100 threads)\n"
"  --shape SHAPE    llvm (default): one-line rustc -Zllvm-time-trace output with\n"
"                   nested X events, Rust v0 symbols in args.detail, 'Total'\n"
"                   events and thread_name metadata.\n"
"                   chromium: Chrome/Perfetto JSON export, one event per line,\n"
"                   X, B/E, instants, counters, escapes in names and args.\n"
"  -o OUT           write to OUT instead of standard output\n"
"  --quiet          no summary line on standard error\n"
"  -h, --help       this text\n", f);
}

static int parse_count(const char *s, int binary, uint64_t *out)
{
    char *end;
    errno = 0;
    double v = strtod(s, &end);
    if (end == s || errno || v < 0)
        return -1;
    double mul = 1;
    if (*end) {
        switch (*end) {
        case 'k': case 'K': mul = binary ? 1024.0 : 1e3; break;
        case 'm': case 'M': mul = binary ? 1048576.0 : 1e6; break;
        case 'g': case 'G': mul = binary ? 1073741824.0 : 1e9; break;
        default: return -1;
        }
        end++;
        if (*end == 'B' || *end == 'b' || (*end == 'i' && end[1] == 'B'))
            end += *end == 'i' ? 2 : 1;
        if (*end)
            return -1;
    }
    v *= mul;
    if (v > 1e15)
        return -1;
    *out = (uint64_t)(v + 0.5);
    return 0;
}

int main(int argc, char **argv)
{
    opts_t op = {.seed = 1, .threads = 16};
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        const char *v = i + 1 < argc ? argv[i + 1] : NULL;
        int takes = 1;
        if (!strcmp(a, "-h") || !strcmp(a, "--help")) {
            usage(stdout);
            return 0;
        } else if (!strcmp(a, "--quiet") || !strcmp(a, "-q")) {
            op.quiet = 1;
            takes = 0;
        } else if (!v && (!strcmp(a, "--size") || !strcmp(a, "--events") || !strcmp(a, "--seed") ||
                          !strcmp(a, "--threads") || !strcmp(a, "--shape") || !strcmp(a, "-o"))) {
            fprintf(stderr, "gen_trace: %s needs a value\n", a);
            return 2;
        } else if (!strcmp(a, "--size")) {
            if (parse_count(v, 1, &op.size) || op.size == 0) {
                fprintf(stderr, "gen_trace: bad --size '%s' (e.g. 100M, 1.4G)\n", v);
                return 2;
            }
            op.events = 0;
        } else if (!strcmp(a, "--events")) {
            if (parse_count(v, 0, &op.events) || op.events == 0) {
                fprintf(stderr, "gen_trace: bad --events '%s' (e.g. 500K, 7.3M)\n", v);
                return 2;
            }
            op.size = 0;
        } else if (!strcmp(a, "--seed")) {
            char *end;
            errno = 0;
            op.seed = strtoull(v, &end, 0);
            if (*end || errno) {
                fprintf(stderr, "gen_trace: bad --seed '%s'\n", v);
                return 2;
            }
        } else if (!strcmp(a, "--threads")) {
            char *end;
            long t = strtol(v, &end, 10);
            if (*end || t < 1 || t > 256) {
                fprintf(stderr, "gen_trace: bad --threads '%s' (1..256)\n", v);
                return 2;
            }
            op.threads = (int)t;
        } else if (!strcmp(a, "--shape")) {
            if (!strcmp(v, "llvm"))
                op.shape_chromium = 0;
            else if (!strcmp(v, "chromium"))
                op.shape_chromium = 1;
            else {
                fprintf(stderr, "gen_trace: bad --shape '%s' (llvm or chromium)\n", v);
                return 2;
            }
        } else if (!strcmp(a, "-o")) {
            op.out = v;
        } else {
            fprintf(stderr, "gen_trace: unknown option '%s' (see --help)\n", a);
            return 2;
        }
        i += takes;
    }
    if (!op.size && !op.events)
        op.size = 10u << 20;

    FILE *f = stdout;
    if (op.out && !(f = fopen(op.out, "wb"))) {
        fprintf(stderr, "gen_trace: %s: %s\n", op.out, strerror(errno));
        return 1;
    }
    out_t o = {.f = f, .cap = 4u << 20};
    o.buf = malloc(o.cap);
    if (!o.buf)
        return 3;

    struct timespec t0, t1;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    uint64_t events = 0, zero = 0;
    if (op.shape_chromium)
        gen_chromium(&op, &o, &events, &zero);
    else
        gen_llvm(&op, &o, &events, &zero);
    out_flush(&o);
    if (fflush(f) || (op.out && fclose(f)) || o.failed) {
        fprintf(stderr, "gen_trace: %s: write failed: %s\n", op.out ? op.out : "stdout",
                strerror(o.failed ? o.failed : errno));
        return 1;
    }
    clock_gettime(CLOCK_MONOTONIC, &t1);
    double secs = (double)(t1.tv_sec - t0.tv_sec) + (double)(t1.tv_nsec - t0.tv_nsec) / 1e9;
    if (!op.quiet) {
        fprintf(stderr, "gen_trace: %s shape, %" PRIu64 " bytes, %" PRIu64 " events", 
                op.shape_chromium ? "chromium" : "llvm", o.total, events);
        if (!op.shape_chromium)
            fprintf(stderr, " (%.1f%% of slices with dur 0)", events ? 100.0 * (double)zero / (double)events : 0.0);
        fprintf(stderr, " in %.2f s (%.0f MB/s)\n", secs, secs > 0 ? (double)o.total / 1e6 / secs : 0.0);
    }
    free(o.buf);
    return 0;
}
