/* test_demangle.c: tv_looks_mangled, tv_demangle and tv_symbol_root.
 *
 * The mangled names are real, copied from the corpus (../shared/corpus):
 *  v0      rustc/memchr-2.5.0.O0.llvm_timings.json and
 *          rustc/regex_automata-0.4.16.O3.llvm_timings.json.gz ("detail")
 *  legacy  rustc/regex_lite-0.1.9.O3.legacy-mangling.llvm_timings.json.gz
 *  Itanium clang/nlohmann-json-unit-msgpack.O1.time-trace.json and
 *          perf/rustc-regex-lite-fp.no-demangle.perf.txt
 * The expected strings come from tools independent of libiberty: LLVM 14's
 * llvm-cxxfilt for v0 and Itanium (identical apart from LLVM's " (.llvm.N)"
 * note, which libiberty drops), and a small decoder written from the legacy
 * Rust mangling rules for legacy names. The punycode case was checked by hand
 * ("gödel" is punycode "gdel-5qa"). */
#include "check.h"
#include "traceview/demangle.h"

typedef struct {
  const char *mangled, *demangled;
} dm_case_t;

static void check_demangles(const dm_case_t *cases) {
  for (const dm_case_t *c = cases; c->mangled; c++) {
    size_t n = strlen(c->mangled);
    CHECK(tv_looks_mangled(c->mangled, n));
    char *out = tv_demangle(c->mangled, n);
    CHECK_STREQ(out, c->demangled);
    free(out); /* plain malloc memory */
  }
}

static void test_v0(void) {
  static const dm_case_t cases[] = {
      {"_RNvNtNtCs1kTlP2L7aiK_6memchr6memmem4util6memcmp",
       "memchr::memmem::util::memcmp"},
      {"_RINvNtCsgEmfK2I1SDS_4core9panicking13assert_failedhhECs1kTlP2L7aiK_"
       "6memchr",
       "core::panicking::assert_failed::<u8, u8>"},
      {"_RNvNvMs9_NtCsgEmfK2I1SDS_4core3numj13unchecked_add18precondition_"
       "checkCs1kTlP2L7aiK_6memchr",
       "<usize>::unchecked_add::precondition_check"},
      {"_RNvXNtNtNtCs1kTlP2L7aiK_6memchr6memmem6vector6x86sseNtNtNtCsgEmfK2I1"
       "SDS_4core9core_arch3x867___m128iNtB4_6Vector5splat",
       "<core::core_arch::x86::__m128i as memchr::memmem::vector::Vector>::"
       "splat"},
      {"_RNvYNcNtNtNtNtCs1kTlP2L7aiK_6memchr6memmem3x863sse7Forward0INtNtNtCs"
       "gEmfK2I1SDS_4core3ops8function6FnOnceTNtNtBa_11genericsimd7ForwardEE9"
       "call_onceBc_",
       "<memchr::memmem::x86::sse::Forward as core::ops::function::FnOnce<("
       "memchr::memmem::genericsimd::Forward,)>>::call_once"},
      {"_RNvMNtNtCsgEmfK2I1SDS_4core3ptr9const_ptrPh3addCs1kTlP2L7aiK_6memchr",
       "<*const u8>::add"},
      {"_RINvMNtCsgEmfK2I1SDS_4core6optionINtB3_6OptionhE6map_orbNCNvMNtNtCs"
       "iNJN4Zkeg17_14regex_automata4util8alphabetNtBX_4Unit7is_byte0EB11_",
       "<core::option::Option<u8>>::map_or::<bool, <regex_automata::util::"
       "alphabet::Unit>::is_byte::{closure#0}>"},
      {"_RNvMNtCsgEmfK2I1SDS_4core5sliceSNtNtCs8uoSzIFZCeP_12regex_syntax3hir"
       "3Hir12split_at_mutCsiNJN4Zkeg17_14regex_automata",
       "<[regex_syntax::hir::Hir]>::split_at_mut"},
      {"_RNvXNtNtCsgEmfK2I1SDS_4core3cmp5implsuNtB4_9PartialEq2eq",
       "<() as core::cmp::PartialEq>::eq"},
      {"_RINvXs3_NtNtCsgEmfK2I1SDS_4core4hash5implsReNtB8_4Hash4hashNtNtNtCs"
       "jrHSEGnQ3l9_3std4hash6random13DefaultHasherECsiNJN4Zkeg17_14regex_"
       "automata",
       "<&str as core::hash::Hash>::hash::<std::hash::random::DefaultHasher>"},
      /* an LTO-promoted local: the .llvm.<n> suffix is dropped */
      {"_RNvMs2_NtNtCs8uoSzIFZCeP_12regex_syntax3hir7literalNtB5_3Seq5union."
       "llvm.9752411320385171664",
       "<regex_syntax::hir::literal::Seq>::union"},
      /* the longest v0 name in the corpus (527 bytes: copied to the heap) */
      {"_RINvXs_NtNtCsgEmfK2I1SDS_4core3ops11index_rangeNtB5_10IndexRangeNtNt"
       "NtNtB9_4iter6traits8iterator8Iterator8try_folduNCINvMs6_NtNtNtB9_5arra"
       "y4iter10iter_innerINtB1Y_15PolymorphicIterSINtNtNtB9_3mem12maybe_unini"
       "t11MaybeUninitNtNtCs8uoSzIFZCeP_12regex_syntax3hir17ClassUnicodeRangeE"
       "E8try_folduNCINvMs0_NtB7_9try_traitINtB4M_17NeverShortCircuituE10wrap_"
       "mut_2uB3y_NCINvNvB10_8for_each4callB3y_NCINvMsj_NtCslNYArtu3iFV_5alloc"
       "3vecINtB6m_3VecB3y_E14extend_trustedINtB20_8IntoIterB3y_Kj3_EE0E0E0B51"
       "_E0B51_ECsiNJN4Zkeg17_14regex_automata",
       "<core::ops::index_range::IndexRange as core::iter::traits::iterator::"
       "Iterator>::try_fold::<(), <core::array::iter::iter_inner::Polymorphic"
       "Iter<[core::mem::maybe_uninit::MaybeUninit<regex_syntax::hir::Class"
       "UnicodeRange>]>>::try_fold<(), <core::ops::try_trait::NeverShort"
       "Circuit<()>>::wrap_mut_2<(), regex_syntax::hir::ClassUnicodeRange, "
       "core::iter::traits::iterator::Iterator::for_each::call<regex_syntax::"
       "hir::ClassUnicodeRange, <alloc::vec::Vec<regex_syntax::hir::Class"
       "UnicodeRange>>::extend_trusted<core::array::iter::IntoIter<regex_"
       "syntax::hir::ClassUnicodeRange, 3>>::{closure#0}>::{closure#0}>::"
       "{closure#0}, core::ops::try_trait::NeverShortCircuit<()>>::"
       "{closure#0}, core::ops::try_trait::NeverShortCircuit<()>>"},
      /* punycode identifier (not from the corpus) */
      {"_RNvCs1234_7mycrateu8gdel_5qa", "mycrate::g\xc3\xb6" "del"},
      {NULL, NULL}};
  check_demangles(cases);
}

static void test_legacy(void) {
  static const dm_case_t cases[] = {
      {"_ZN4core3cmp3Ord3max17h4df155cdaab352caE", "core::cmp::Ord::max"},
      {"_ZN4core6option15Option$LT$T$GT$6map_or17h26cab0875e1b1aeaE",
       "core::option::Option<T>::map_or"},
      {"_ZN70_$LT$alloc..vec..Vec$LT$T$C$A$GT$$u20$as$u20$core..ops..drop.."
       "Drop$GT$4drop17h68035591d07ebcaeE",
       "<alloc::vec::Vec<T,A> as core::ops::drop::Drop>::drop"},
      {"_ZN5alloc3vec16Vec$LT$T$C$A$GT$14extend_trusted28_$u7b$$u7b$closure$"
       "u7d$$u7d$17h5d27af7a16da4882E",
       "alloc::vec::Vec<T,A>::extend_trusted::{{closure}}"},
      {"_ZN10regex_lite3hir5Class12canonicalize17he995d4d16df25f46E.llvm."
       "17603401708865786976",
       "regex_lite::hir::Class::canonicalize"},
      {"_ZN57_$LT$regex_lite..nfa..NFA$u20$as$u20$core..fmt..Debug$GT$3fmt17h"
       "236b1628ed15ddf6E",
       "<regex_lite::nfa::NFA as core::fmt::Debug>::fmt"},
      {"_ZN5alloc5slice99_$LT$impl$u20$core..slice..sort..stable..BufGuard$LT"
       "$T$GT$$u20$for$u20$alloc..vec..Vec$LT$T$GT$$GT$13with_capacity17h83d3"
       "4bfe9416acf7E",
       "alloc::slice::<impl core::slice::sort::stable::BufGuard<T> for alloc::"
       "vec::Vec<T>>::with_capacity"},
      {NULL, NULL}};
  check_demangles(cases);
}

static void test_itanium(void) {
  static const dm_case_t cases[] = {
      {"_ZL19DOCTEST_ANON_FUNC_7v", "DOCTEST_ANON_FUNC_7()"},
      {"_ZN7doctest6detail12ContextScopeIZL19DOCTEST_ANON_FUNC_7vE3$_5ED0Ev",
       "doctest::detail::ContextScope<DOCTEST_ANON_FUNC_7()::$_5>::~"
       "ContextScope()"},
      /* libiberty and LLVM both write "> >" here... */
      {"_ZNSt15basic_streambufIhSt11char_traitsIhEE6xsgetnEPhl",
       "std::basic_streambuf<unsigned char, std::char_traits<unsigned char> "
       ">::xsgetn(unsigned char*, long)"},
      /* ...but after an empty pack (the "JE" in "IS1_JEE") libiberty writes
       * ">>" and LLVM "> >". (LLVM 14 also prints lambdas and decltype
       * expressions differently, and gets some template-parameter references
       * wrong; none of those are here.) */
      {"_ZN4llvm11PassManagerINS_8FunctionENS_15AnalysisManagerIS1_JEEEJEE3ru"
       "nERS1_RS3_",
       "llvm::PassManager<llvm::Function, llvm::AnalysisManager<llvm::"
       "Function>>::run(llvm::Function&, llvm::AnalysisManager<llvm::"
       "Function>&)"},
      {"_ZThn752_N4llvm8RAGreedy21LRE_WillShrinkVirtRegENS_8RegisterE",
       "non-virtual thunk to llvm::RAGreedy::LRE_WillShrinkVirtReg(llvm::"
       "Register)"},
      {"_Znwm", "operator new(unsigned long)"},
      {"_ZdlPvm", "operator delete(void*, unsigned long)"},
      {NULL, NULL}};
  check_demangles(cases);
}

/* A template function whose return type is printed first. */
static const char nlohmann_mangled[] =
    "_ZN8nlohmann16json_abi_v3_11_36detail12out_of_range6createIDnLi0EEES2_i"
    "RKNSt7__cxx1112basic_stringIcSt11char_traitsIcESaIcEEET_";
static const char nlohmann_demangled[] =
    "nlohmann::json_abi_v3_11_3::detail::out_of_range nlohmann::json_abi_v3_"
    "11_3::detail::out_of_range::create<decltype(nullptr), 0>(int, std::__"
    "cxx11::basic_string<char, std::char_traits<char>, std::allocator<char> >"
    " const&, decltype(nullptr))";

static void test_return_type(void) {
  char *out = tv_demangle(nlohmann_mangled, strlen(nlohmann_mangled));
  CHECK_STREQ(out, nlohmann_demangled);
  tv_str_t r = tv_symbol_root(out, strlen(out));
  CHECK(tv_str_eq_lit(r, "nlohmann"));
  /* a view into the input: the name's, after the return type */
  CHECK(r.p == strstr(out, " nlohmann::") + 1);
  free(out);
}

/* Input is a slice of a longer buffer, as in a mapped trace file. */
static void test_not_nul_terminated(void) {
  const char buf[] = "\"_ZN4core3cmp3Ord3max17h4df155cdaab352caE\",\"ts\":1";
  const char *sym = buf + 1;
  size_t n = strlen("_ZN4core3cmp3Ord3max17h4df155cdaab352caE");
  char *out = tv_demangle(sym, n);
  CHECK_STREQ(out, "core::cmp::Ord::max");
  free(out);
  /* a prefix of the same bytes is not a valid name */
  CHECK_NULL(tv_demangle(sym, n - 1));
  const char v0[] = "_RNvC3foo3barXYZ";
  out = tv_demangle(v0, strlen(v0) - 3);
  CHECK_STREQ(out, "foo::bar");
  free(out);
}

static void test_macho(void) {
  const char *sym = "__ZL19DOCTEST_ANON_FUNC_7v";
  char *out = tv_demangle(sym, strlen(sym));
  CHECK_STREQ(out, "DOCTEST_ANON_FUNC_7()");
  free(out);
  out = tv_demangle("__RNvC3foo3bar", 14);
  CHECK_STREQ(out, "foo::bar");
  free(out);
}

static void test_rejects(void) {
  static const char *const bad[] = {
      "", "_", "_Z", "_R", "_Z$", "_R$$$", "_ZN", "_ZN3foo", "_RNv",
      "main", "[module]", "/usr/include/stdio.h", "_Rest", "__RTC_CheckEsp",
      "_GLOBAL__sub_I_foo.cpp", "Z3foov",
      /* legacy hash one digit short: neither Rust nor C++ */
      "_ZN3foo17h0123456789abcdeE",
      NULL};
  for (const char *const *b = bad; *b; b++)
    CHECK_NULL(tv_demangle(*b, strlen(*b)));
  CHECK_NULL(tv_demangle(NULL, 0));
  CHECK_NULL(tv_demangle("_Z3foov", 0));
  /* an embedded NUL must not demangle the part before it */
  CHECK_NULL(tv_demangle("_Z3foov\0junk", 12));
}

static void test_looks_mangled(void) {
  static const char *const yes[] = {
      "_Z3foov", "_ZN3foo3barEv", "_ZL3fooi", "_ZZ3foovE1x", "_ZTV3Foo",
      "_ZThn8_N3Foo3barEv", "_ZGVZ3foovE1x", "_Znwm", "_ZdlPv",
      "_ZNSt6vectorIiSaIiEE9push_backERKi", "_RNvC3foo3bar", "_RINvC1a1fE",
      "_RCs1234_3foo", "_RMNtC1a1bNtB2_1S", "_RXC1a", "_RYC1a", "_RBa_",
      "_R0NvC3foo3bar", "__Z3foov", "__RNvC3foo3bar", NULL};
  static const char *const no[] = {
      "", "_", "_Z", "_R", "__Z", "__R", "_Z$x", "_Z_x", "_R$$$", "_Rest",
      "_Rx", "__RTC_CheckEsp", "main", "Z3foov", "R_NvC", "_z3foo",
      "___Z3foov", "[module]", NULL};
  for (const char *const *s = yes; *s; s++)
    CHECK(tv_looks_mangled(*s, strlen(*s)));
  for (const char *const *s = no; *s; s++)
    CHECK(!tv_looks_mangled(*s, strlen(*s)));
  CHECK(!tv_looks_mangled(NULL, 0));
  CHECK(!tv_looks_mangled("_Z3foov", 2)); /* length, not NUL, bounds it */
}

static char *repeat(const char *head, char fill, size_t n, const char *tail) {
  size_t h = strlen(head), t = strlen(tail);
  char *s = malloc(h + n + t + 1);
  CHECK(s);
  memcpy(s, head, h);
  memset(s + h, fill, n);
  memcpy(s + h + n, tail, t + 1);
  return s;
}

static void test_long_inputs(void) {
  /* 100 KB of 'a', and the same behind a mangled prefix: refused */
  char *a = repeat("", 'a', 100 * 1000, "");
  CHECK_NULL(tv_demangle(a, strlen(a)));
  CHECK(!tv_looks_mangled(a, strlen(a)));
  tv_str_t r = tv_symbol_root(a, strlen(a));
  CHECK(r.p == a && r.len == strlen(a));
  free(a);
  a = repeat("_ZN", '1', 100 * 1000, "E");
  CHECK_NULL(tv_demangle(a, strlen(a)));
  free(a);

  /* Itanium names over 1024 bytes need the retry without libiberty's
   * recursion limit: "_Z2000aaa...av" is f() with a 2000-char name. */
  char *ident = repeat("", 'a', 2000, "");
  char *sym = repeat("_Z2000", 'a', 2000, "v");
  char *out = tv_demangle(sym, strlen(sym));
  CHECK(out);
  CHECK_EQ(strlen(out), 2002);
  CHECK(memcmp(out, ident, 2000) == 0 && strcmp(out + 2000, "()") == 0);
  free(out);
  free(sym);
  free(ident);
  /* over 4 KiB: given up */
  sym = repeat("_Z5000", 'a', 5000, "v");
  CHECK_NULL(tv_demangle(sym, strlen(sym)));
  free(sym);

  /* A 30 KB legacy Rust name is linear work and demangles. */
  char *body = malloc(30000);
  CHECK(body);
  size_t n = 0;
  memcpy(body, "_ZN", 3);
  n = 3;
  while (n < 29900) {
    memcpy(body + n, "3abc", 4);
    n += 4;
  }
  size_t segs = (n - 3) / 4;
  memcpy(body + n, "17h0123456789abcdefE", 21);
  out = tv_demangle(body, strlen(body));
  CHECK(out);
  CHECK_EQ(strlen(out), segs * 5 - 2); /* "abc::" x segs, minus last "::" */
  CHECK(strncmp(out, "abc::abc::", 10) == 0);
  free(out);
  free(body);
}

/* v0 base-62 number as used by backrefs: 0 is "_", n is base62(n-1) "_". */
static size_t b62(size_t v, char *out) {
  static const char digs[] =
      "0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ";
  char t[16];
  size_t n = 0;
  if (v > 0) {
    v--;
    do {
      t[n++] = digs[v % 62];
      v /= 62;
    } while (v);
  }
  for (size_t i = 0; i < n; i++)
    out[i] = t[n - 1 - i];
  out[n] = '_';
  return n + 1;
}

/* Hostile names a few hundred bytes long whose demangling doubles with each
 * level: plain cplus_demangle prints gigabytes for these. */

/* v0: a generic fn whose type args are tuples of two backrefs to the
 * previous tuple. */
static size_t hostile_v0(char *s, int levels) {
  strcpy(s, "_RINvCs0_1a1fTllE");
  size_t len = strlen(s), prev = strlen("INvCs0_1a1f");
  for (int level = 0; level < levels; level++) {
    size_t pos = len - 2; /* backref offsets count from after "_R" */
    s[len++] = 'T';
    s[len++] = 'B';
    len += b62(prev, s + len);
    s[len++] = 'B';
    len += b62(prev, s + len);
    s[len++] = 'E';
    prev = pos;
  }
  s[len++] = 'E';
  s[len] = '\0';
  return len;
}

/* Itanium: template args that repeat the newest one twice through
 * substitutions. */
static size_t hostile_itanium(char *s, int levels) {
  static const char digs[] = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ";
  strcpy(s, "_Z1fISt4pairIiiE");
  size_t len = strlen(s);
  for (int level = 0; level < levels; level++) {
    char ref[8]; /* S<level in base 36>_ */
    int n = 0;
    ref[n++] = 'S';
    if (level >= 36)
      ref[n++] = digs[level / 36];
    ref[n++] = digs[level % 36];
    ref[n++] = '_';
    memcpy(s + len, "S_I", 3);
    len += 3;
    memcpy(s + len, ref, (size_t)n);
    len += (size_t)n;
    memcpy(s + len, ref, (size_t)n);
    len += (size_t)n;
    s[len++] = 'E';
  }
  memcpy(s + len, "EvT_", 5);
  return len + 4;
}

static void test_hostile_expansion(void) {
  char s[4096];
  /* the generators make valid names: shallow ones demangle */
  size_t len = hostile_v0(s, 1);
  CHECK_STREQ(s, "_RINvCs0_1a1fTllETBa_Ba_EE");
  char *out = tv_demangle(s, len);
  CHECK_STREQ(out, "a::f::<(i32, i32), ((i32, i32), (i32, i32))>");
  free(out);
  len = hostile_v0(s, 10);
  out = tv_demangle(s, len);
  CHECK(out && strlen(out) > 20000);
  free(out);
  len = hostile_itanium(s, 10);
  out = tv_demangle(s, len);
  CHECK(out && strlen(out) > 2000);
  free(out);

  /* 60 levels: 2^60 times the output; abandoned at the output cap */
  len = hostile_v0(s, 60);
  CHECK(len < 700);
  CHECK_NULL(tv_demangle(s, len));
  len = hostile_itanium(s, 60);
  CHECK(len < 1024);
  CHECK_NULL(tv_demangle(s, len));
}

typedef struct {
  const char *sym, *root;
} root_case_t;

static void test_symbol_root(void) {
  static const root_case_t cases[] = {
      /* from the header */
      {"regex_lite::pool::Pool<T>::get", "regex_lite"},
      {"<regex_lite::X as core::fmt::Debug>::fmt", "regex_lite"},
      {"llvm::foo(int)", "llvm"},
      {"std::vector<int>::push_back", "std"},
      {"/usr/include/stdio.h", "/usr/include/stdio.h"},
      {"[module]", "[module]"},
      {"main", "main"},
      /* Rust wrappers of the self type */
      {"<&T as core::fmt::Debug>::fmt", "T"},
      {"<&mut T as core::fmt::Debug>::fmt", "T"},
      {"<&'static str as core::fmt::Display>::fmt", "str"},
      {"<*const u8>::add", "u8"},
      {"<dyn core::any::Any>::is::<T>", "core"},
      {"<[T]>::len", "[T]"},
      {"<[_]>::reverse::revswap::<regex_syntax::hir::Hir>", "[_]"},
      {"<&[u8] as core::hash::Hash>::hash", "[u8]"},
      {"<() as core::cmp::PartialEq>::eq", "()"},
      {"<(A, B) as core::fmt::Debug>::fmt", "(A, B)"},
      {"<usize>::unchecked_add::precondition_check", "usize"},
      {"<<regex_lite::X as Foo>::Out as Bar>::f", "regex_lite"},
      {"<fn(&str) -> core::result::Result<T, E> as Foo>::call", "fn"},
      {"alloc::slice::<impl core::slice::sort::stable::BufGuard<T> for alloc::"
       "vec::Vec<T>>::with_capacity",
       "alloc"},
      {"core::ptr::drop_in_place<regex_lite::pool::PoolGuard<regex_lite::"
       "pikevm::Cache,alloc::boxed::Box<dyn core::ops::function::Fn<()>+Output"
       " = regex_lite::pikevm::Cache+core::marker::Sync>>>",
       "core"},
      /* C++ */
      {"llvm::PassManager<llvm::Function, llvm::AnalysisManager<llvm::"
       "Function> >::run(llvm::Function&, llvm::AnalysisManager<llvm::"
       "Function>&)",
       "llvm"},
      {"bool nlohmann::detail::binary_reader<T>::get_number<int, false>(int&)",
       "nlohmann"},
      {"std::pair<bool, nlohmann::basic_json*> nlohmann::detail::parser::"
       "handle_value<unsigned long&>(unsigned long&, bool)",
       "nlohmann"},
      {"decltype (((void)(doctest::detail::declval<int>)())) doctest::detail::"
       "Expression_lhs<int>::operator==<int>(int&&)",
       "doctest"},
      {"(anonymous namespace)::SaxCountdown::key(std::string&)",
       "(anonymous namespace)"},
      {"non-virtual thunk to llvm::RAGreedy::LRE_WillShrinkVirtReg(llvm::"
       "Register)",
       "llvm"},
      {"vtable for llvm::Pass", "llvm"},
      {"std::operator<<(std::ostream&, int)", "std"},
      {"bool std::operator< <int>(int const&, int const&)", "std"},
      {"operator new(unsigned long, std::align_val_t)", "operator new"},
      {"operator delete(void*, unsigned long)", "operator delete"},
      {"runImpl(llvm::Function&, llvm::LazyValueInfo*) [clone .llvm.113]",
       "runImpl"},
      {"DOCTEST_ANON_FUNC_7()", "DOCTEST_ANON_FUNC_7"},
      {"::foo::bar", "foo"},
      {"llvm::foo (inlined)", "llvm"},
      /* no path: the whole string, spaces and all */
      {"/home/me/my project/a.c", "/home/me/my project/a.c"},
      {"foo (inlined)", "foo (inlined)"},
      {"[unknown]", "[unknown]"},
      /* degenerate: never empty */
      {"<>::x", "<>::x"},
      {"::", "::"},
      {"&", "&"},
      {"<[T]::len", "[T]"}, /* unbalanced '<' */
      {NULL, NULL}};
  for (const root_case_t *c = cases; c->sym; c++) {
    size_t n = strlen(c->sym);
    tv_str_t r = tv_symbol_root(c->sym, n);
    if (!tv_str_eq_lit(r, c->root))
      CHECK_FAIL_("root of \"%s\": \"%.*s\", want \"%s\"", c->sym,
                  (int)r.len, r.p, c->root);
    CHECK(r.p >= c->sym && r.p + r.len <= c->sym + n);
  }
  tv_str_t e = tv_symbol_root("", 0);
  CHECK_EQ(e.len, 0);
  /* bounded by len, not by a NUL */
  tv_str_t r = tv_symbol_root("regex_lite::x", 5);
  CHECK(tv_str_eq_lit(r, "regex"));
}

/* The roots of real demangled names group by crate. */
static void test_root_of_demangled(void) {
  static const root_case_t cases[] = {
      {"_ZN57_$LT$regex_lite..nfa..NFA$u20$as$u20$core..fmt..Debug$GT$3fmt17h"
       "236b1628ed15ddf6E",
       "regex_lite"},
      {"_RNvXNtNtNtCs1kTlP2L7aiK_6memchr6memmem6vector6x86sseNtNtNtCsgEmfK2I1"
       "SDS_4core9core_arch3x867___m128iNtB4_6Vector5splat",
       "core"},
      {"_RNvNtNtCs1kTlP2L7aiK_6memchr6memmem4util6memcmp", "memchr"},
      {"_ZNSt15basic_streambufIhSt11char_traitsIhEE6xsgetnEPhl", "std"},
      {"_ZL19DOCTEST_ANON_FUNC_7v", "DOCTEST_ANON_FUNC_7"},
      {"_Znwm", "operator new"},
      {NULL, NULL}};
  for (const root_case_t *c = cases; c->sym; c++) {
    char *out = tv_demangle(c->sym, strlen(c->sym));
    CHECK(out);
    tv_str_t r = tv_symbol_root(out, strlen(out));
    if (!tv_str_eq_lit(r, c->root))
      CHECK_FAIL_("root of \"%s\": \"%.*s\", want \"%s\"", out, (int)r.len,
                  r.p, c->root);
    free(out);
  }
}

/* Symbols inside LLVM's details: "(sym)", "loop ... in function sym". */
static void test_demangle_text(void) {
  const char *scc = "(_RNvCs1kTlP2L7aiK_6memchr6memchr, _ZN4llvm3fooEv)";
  char *d = tv_demangle_text(scc, strlen(scc));
  CHECK_STREQ(d, "(memchr::memchr, llvm::foo())");
  free(d);
  const char *loop = "loop %bb3 in function _RNvCs1kTlP2L7aiK_6memchr6memchr";
  d = tv_demangle_text(loop, strlen(loop));
  CHECK_STREQ(d, "loop %bb3 in function memchr::memchr");
  free(d);
  /* Whole symbols still work; plain text and lookalikes inside words do not change. */
  d = tv_demangle_text("_RNvCs1kTlP2L7aiK_6memchr6memchr", 32);
  CHECK_STREQ(d, "memchr::memchr");
  free(d);
  CHECK_NULL(tv_demangle_text("X86 DAG->DAG Instruction Selection", 34));
  CHECK_NULL(tv_demangle_text("my_Zfoo and_Rbar", 16));
  CHECK_NULL(tv_demangle_text("(_Rgarbage$$)", 13));
  char *owned;
  tv_str_t root = tv_text_root(scc, strlen(scc), &owned);
  CHECK(tv_str_eq_lit(root, "memchr"));
  free(owned);
  root = tv_text_root("[module]", 8, &owned);
  CHECK(tv_str_eq_lit(root, "[module]"));
  CHECK_NULL(owned);
}

int main(void) {
  static const check_case_t cases[] = {
      {"looks_mangled", test_looks_mangled},
      {"symbols inside text", test_demangle_text},
      {"v0", test_v0},
      {"legacy", test_legacy},
      {"itanium", test_itanium},
      {"return_type", test_return_type},
      {"not_nul_terminated", test_not_nul_terminated},
      {"macho", test_macho},
      {"rejects", test_rejects},
      {"long_inputs", test_long_inputs},
      {"hostile_expansion", test_hostile_expansion},
      {"symbol_root", test_symbol_root},
      {"root_of_demangled", test_root_of_demangled},
      {NULL, NULL}};
  return check_run(cases);
}
