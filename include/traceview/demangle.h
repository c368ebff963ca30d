/* demangle.h: symbol demangling (libiberty) and the namespace root of a
 * symbol, for display and for grouping by crate. */
#ifndef TRACEVIEW_DEMANGLE_H
#define TRACEVIEW_DEMANGLE_H

#include <stddef.h>
#include "traceview/str.h"

/** 1 if s looks like a mangled symbol we can demangle: Itanium C++ (_Z...),
 *  Rust legacy (_ZN...17h<16 hex>E) or Rust v0 (_R...), also with the extra
 *  leading underscore of Mach-O ("__Z...", "__R..."). Cheap, no allocation; a
 *  pre-filter only: tv_demangle may still fail on a 1. */
int tv_looks_mangled(const char *s, size_t len);

/** Demangles s (not necessarily NUL-terminated). Returns a new malloc'd,
 *  NUL-terminated string the caller frees, or NULL when s is not a mangled
 *  symbol or demangling fails. Rust legacy hashes (::h0123...) are dropped.
 *  Thread-safe. Gives up (NULL) on input over 64 KiB, on output over 256 KiB
 *  (hostile symbols can expand exponentially) and on Itanium names over
 *  4 KiB. libiberty recurses: allow up to 1 MiB of stack. */
char *tv_demangle(const char *s, size_t len);

/** The crate/namespace root of a (demangled) symbol: the first path segment.
 *  "regex_lite::pool::Pool<T>::get" -> "regex_lite"; "<regex_lite::X as
 *  core::fmt::Debug>::fmt" -> "regex_lite"; "llvm::foo(int)" -> "llvm";
 *  "std::vector<int>::push_back" -> "std"; a string with no "::" path (a file
 *  name, "[module]", "main") is its own root, except that a plain signature
 *  "f(int)" gives "f".
 *  Wrappers of the first type are skipped: "<&T as Tr>::f" and "<*const T>::f"
 *  -> "T", "<dyn core::any::Any>::is" -> "core". A slice, array or tuple type
 *  is kept whole: "<[T]>::len" -> "[T]", "<(A, B) as Tr>::f" -> "(A, B)", as
 *  is "(anonymous namespace)". C++ return types ("bool ns::f<T>()" -> "ns")
 *  and special-name prefixes ("vtable for ns::X" -> "ns") are skipped; a
 *  global operator is its own root ("operator new"). Returns a view into s,
 *  never empty for a non-empty s. */
tv_str_t tv_symbol_root(const char *s, size_t len);

/** Demangles every mangled symbol inside text s ("(_RNv...)", "loop in
 *  function _ZN..."), or s itself when it is one. Returns a new malloc'd,
 *  NUL-terminated string, or NULL when nothing was demangled. */
char *tv_demangle_text(const char *s, size_t len);

/** The crate/namespace root of the first symbol in text s (demangled when
 *  mangled; *owned is then set to a malloc'd buffer the view points into and
 *  the caller frees), else tv_symbol_root of s. */
tv_str_t tv_text_root(const char *s, size_t len, char **owned);

#endif
