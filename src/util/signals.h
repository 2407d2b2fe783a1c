/* Signal policy: handlers only set flags; loops poll them and unwind through
 * their normal cleanup paths, so BPF links, the terminal and files are always
 * released. SIGPIPE is ignored so a closed stdout surfaces as EPIPE. */
#ifndef POOLSCOPE_UTIL_SIGNALS_H
#define POOLSCOPE_UTIL_SIGNALS_H

#include <signal.h>
#include <stdbool.h>
#include <stdint.h>

extern volatile sig_atomic_t stop_requested; /* SIGINT, SIGTERM, SIGHUP */
extern volatile sig_atomic_t usr1_requested; /* SIGUSR1 */
extern volatile sig_atomic_t winch_requested; /* SIGWINCH */

/* Install the handlers (without SA_RESTART, so blocking calls return EINTR). */
int signals_install(void);

static inline bool should_stop(void)
{
	return stop_requested != 0;
}

/* Sleep ns, waking early for a stop signal or SIGUSR1 ("refresh now",
 * which it consumes). For the loops of commands. */
void signals_wait_ns(uint64_t ns);

#endif
