#include "util/signals.h"

#include <errno.h>
#include <string.h>

#include "util/timeutil.h"

volatile sig_atomic_t stop_requested;
volatile sig_atomic_t usr1_requested;
volatile sig_atomic_t winch_requested;

static void on_signal(int sig)
{
	if (sig == SIGUSR1)
		usr1_requested = 1;
	else if (sig == SIGWINCH)
		winch_requested = 1;
	else
		stop_requested = sig;
}

int signals_install(void)
{
	static const int sigs[] = { SIGINT, SIGTERM, SIGHUP, SIGUSR1, SIGWINCH };
	struct sigaction sa;
	unsigned int i;

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_signal;
	sigemptyset(&sa.sa_mask);
	for (i = 0; i < sizeof(sigs) / sizeof(sigs[0]); i++)
		if (sigaction(sigs[i], &sa, NULL))
			return -errno;
	signal(SIGPIPE, SIG_IGN);
	return 0;
}

void signals_wait_ns(uint64_t ns)
{
	uint64_t deadline = monotonic_ns() + ns;

	while (!should_stop() && !usr1_requested) {
		uint64_t now = monotonic_ns();

		if (now >= deadline)
			break;
		sleep_ns_interruptible(deadline - now);
	}
	usr1_requested = 0;
}
