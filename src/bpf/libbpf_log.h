/* One policy for libbpf's own messages, used by every loader: libbpf speaks
 * on stderr by default, but poolscope's rule is one sentence from the place
 * that knows what failed. So its messages are kept quiet, the last warning is
 * remembered for that sentence, and POOLSCOPE_DEBUG_BPF=1 shows them all
 * (verifier log included) when a load must be debugged. */
#ifndef POOLSCOPE_BPF_LIBBPF_LOG_H
#define POOLSCOPE_BPF_LIBBPF_LOG_H

#include <bpf/libbpf.h>
#include <stdarg.h>

/* A libbpf_print_fn_t: pass it to libbpf_set_print. */
int libbpf_log_print(enum libbpf_print_level level, const char *fmt, va_list ap);
/* The last warning libbpf gave (first line only), or "" if none. */
const char *libbpf_log_last_warning(void);

#endif
