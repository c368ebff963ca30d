/* guard.h: reading a mapped file that may change under us.
 *
 * A file truncated while mapped turns reads of its vanished pages into
 * SIGBUS. Request threads that read mapped bytes after indexing do it inside
 * tv_guard_call, which turns that signal into an error return instead of a
 * crash. The handler is process-wide and the jump buffer thread-local; a
 * SIGBUS outside a guarded call keeps the previous action (a real bug still
 * crashes loudly).
 *
 * A guarded function may be abandoned at any read: it must not allocate,
 * take locks or leave shared state half-updated (read into caller memory,
 * allocate before or after the call). */
#ifndef TRACEVIEW_GUARD_H
#define TRACEVIEW_GUARD_H

#include <stddef.h>

/** installs the SIGBUS handler (idempotent, thread-safe); 0 or TV_EIO */
int tv_guard_install(void);
/** runs fn(ud); 0, or TV_EIO when fn hit a SIGBUS (fn was cut short) */
int tv_guard_call(void (*fn)(void *ud), void *ud);
/** copies len mapped bytes at src to dst; 0 or TV_EIO (dst partly written) */
int tv_guard_copy(void *dst, const void *src, size_t len);

#endif
