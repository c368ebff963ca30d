/* demangle.h: symbol demangling (libiberty) and the namespace root of a
 * symbol, for display and for grouping by crate. */
#ifndef TRACEVIEW_DEMANGLE_H
#define TRACEVIEW_DEMANGLE_H

#include <stddef.h>
#include "traceview/str.h"

/** 1 if s looks like a mangled symbol we can demangle: Itanium C++ (_Z...),
 *  Rust legacy (_ZN...17h<16 hex>E) or Rust v0 (_R...). Cheap, no allocation. */
int tv_looks_mangled(const char *s, size_t len);

/** Demangles s (not necessarily NUL-terminated). Returns a new malloc'd,
 *  NUL-terminated string the caller frees, or NULL when s is not a mangled
 *  symbol or demangling fails. Rust legacy hashes (::h0123...) are dropped. */
char *tv_demangle(const char *s, size_t len);

/** The crate/namespace root of a (demangled) symbol: the first path segment.
 *  "regex_lite::pool::Pool<T>::get" -> "regex_lite"; "<regex_lite::X as
 *  core::fmt::Debug>::fmt" -> "regex_lite"; "llvm::foo(int)" -> "llvm";
 *  "std::vector<int>::push_back" -> "std"; a string with no "::" path (a file
 *  name, "[module]", "main") is its own root. Returns a view into s. */
tv_str_t tv_symbol_root(const char *s, size_t len);

#endif
