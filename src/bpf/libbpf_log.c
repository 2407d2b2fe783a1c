#include "bpf/libbpf_log.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* libbpf's print callback takes no context pointer, so the last warning has
 * to live outside any loader; per thread, so that loaders running in two
 * threads (a daemon) never read each other's warning. */
static _Thread_local char last_warning[256];

int libbpf_log_print(enum libbpf_print_level level, const char *fmt, va_list ap)
{
	if (getenv("POOLSCOPE_DEBUG_BPF"))
		return vfprintf(stderr, fmt, ap);
	if (level == LIBBPF_WARN) {
		vsnprintf(last_warning, sizeof(last_warning), fmt, ap);
		last_warning[strcspn(last_warning, "\n")] = '\0';
	}
	return 0;
}

const char *libbpf_log_last_warning(void)
{
	return last_warning;
}
