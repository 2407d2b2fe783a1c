/* A restart does not cost the forecasts their data. A process holds 600
 * fds under a soft limit of 1000; this boot's history (written through the
 * history API, as a watch that ran for the last 15 minutes would have)
 * shows it growing there from nothing. `poolscope watch` started on that
 * database rebuilds its window from it: the first /metrics scrape already
 * holds the process's time to exhaustion (~600 s). Started on a fresh
 * database it has two samples and no forecast — the forecaster wants five
 * minutes of data — which is what every restart cost before.
 *
 * Nor does a restart say again what was already said: a forecast alert on
 * that process stored by the previous run is in force after the restart,
 * so the restarted watch says nothing of it — where a database without
 * that alert event gets the alert at once. */
#include "test_util.h"

#include <errno.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/eventfd.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>

#include "kernel/boot.h"
#include "model/history.h"
#include "util/notes.h"

#define HELD 600
#define SOFT_LIMIT 1000
#define PAST_S 900
#define STEP_S 10

static pid_t holder_start(int *pid_out)
{
	int p[2];
	char c;
	pid_t pid;

	assert_int_equal(pipe(p), 0);
	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		struct rlimit rl;

		close(p[0]);
		prctl(PR_SET_PDEATHSIG, SIGKILL); /* a failed assertion leaves no holder */
		getrlimit(RLIMIT_NOFILE, &rl);
		rl.rlim_cur = SOFT_LIMIT;
		if (setrlimit(RLIMIT_NOFILE, &rl))
			_exit(2);
		for (int i = 0; i < HELD - 4; i++)
			if (eventfd(0, 0) < 0)
				_exit(3);
		if (write(p[1], "r", 1) != 1)
			_exit(4);
		pause();
		_exit(0);
	}
	close(p[1]);
	assert_int_equal(read(p[0], &c, 1), 1);
	close(p[0]);
	*pid_out = pid;
	return pid;
}

/* Field 22 of /proc/PID/stat: the start time in clock ticks. */
static unsigned long long start_ticks(int pid)
{
	char path[64], *text, *rp;
	unsigned long long v = 0;

	snprintf(path, sizeof(path), "/proc/%d/stat", pid);
	text = test_slurp(path);
	assert_non_null(text);
	rp = strrchr(text, ')');
	assert_non_null(rp);
	/* After ") ": state is field 3; starttime is field 22. */
	assert_int_equal(sscanf(rp + 2, "%*c %*d %*d %*d %*d %*d %*u %*u %*u %*u %*u %*u %*u %*d "
					"%*d %*d %*d %*d %*d %llu",
				&v),
			 1);
	free(text);
	return v;
}

static void write_past(const char *db, int pid, bool alerted)
{
	struct notes ns = NOTES_INIT;
	struct boot_ident boot;
	struct history *h = NULL;
	char name[96];
	struct history_sample s = {.name = name};
	struct timespec now;
	int64_t now_ms;

	assert_int_equal(boot_ident_read(&boot), 0);
	assert_int_equal(history_open(db, NULL, &h, &ns), 0);
	assert_int_equal(history_set_boot(h, boot.boot_id, boot.start_ms), 0);
	clock_gettime(CLOCK_REALTIME, &now);
	now_ms = (int64_t)now.tv_sec * 1000 + now.tv_nsec / 1000000;
	snprintf(name, sizeof(name), "proc/%d:%llu/fds", pid, start_ticks(pid));
	for (int k = 0; k < PAST_S / STEP_S; k++) {
		s.value = (double)HELD * (k + 1) / (PAST_S / STEP_S + 1);
		assert_int_equal(history_append(h, now_ms - (int64_t)(PAST_S - k * STEP_S) * 1000,
						&s, 1, &ns),
				 0);
	}
	if (alerted) {
		char json[256];

		snprintf(json, sizeof(json),
			 "{\"alert\":{\"series\":\"%s\",\"state\":\"forecast\",\"previous\":\"ok\"}}",
			 name);
		assert_int_equal(history_add_event(h, now_ms - 60000, "alert", json, &ns), 0);
	}
	history_close(h);
	notes_release(&ns);
}

static int free_port(void)
{
	struct sockaddr_in a = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
	socklen_t len = sizeof(a);
	int fd = socket(AF_INET, SOCK_STREAM, 0), port;

	assert_true(fd >= 0);
	assert_int_equal(bind(fd, (struct sockaddr *)&a, sizeof(a)), 0);
	assert_int_equal(getsockname(fd, (struct sockaddr *)&a, &len), 0);
	port = ntohs(a.sin_port);
	close(fd);
	return port;
}

/* The first /metrics a watch on db serves, and its stderr (two intervals
 * later: what it says of that interval's forecasts is in it). */
static char *first_scrape(const char *db, const char *errpath)
{
	char listen[32], cmd[128], *body = NULL;
	int port = free_port(), status;
	pid_t w = fork();

	assert_true(w >= 0);
	snprintf(listen, sizeof(listen), "127.0.0.1:%d", port);
	if (w == 0) {
		if (!freopen(errpath, "w", stderr) || !freopen("/dev/null", "w", stdout))
			_exit(126);
		execl(test_poolscope(), "poolscope", "watch", "--interval", "1s", "--db", db,
		      "--listen", listen, (char *)NULL);
		_exit(127);
	}
	snprintf(cmd, sizeof(cmd), "curl -sf http://%s/metrics", listen);
	for (int i = 0; i < 200 && !body; i++) {
		body = test_capture(cmd, &status);
		if (status) {
			free(body);
			body = NULL;
			usleep(25000);
		}
	}
	usleep(2500000);
	kill(w, SIGTERM);
	assert_int_equal(waitpid(w, &status, 0), w);
	assert_true(WIFEXITED(status) && WEXITSTATUS(status) == 0);
	assert_non_null(body);
	return body;
}

/* The value of the exhaustion series of pid's fds (labels are rendered
 * sorted: comm, pid, resource); -1 when there is none. */
static double forecast_of(const char *metrics, int pid)
{
	char pidl[32];
	const char *line = metrics;

	snprintf(pidl, sizeof(pidl), "pid=\"%d\"", pid);
	for (; line && *line; line = strchr(line, '\n') ? strchr(line, '\n') + 1 : NULL) {
		const char *end = strchr(line, '}'), *nl = strchr(line, '\n');
		char buf[512];
		size_t n;

		if (strncmp(line, "poolscope_exhaustion_seconds{", 29) || !end || (nl && end > nl))
			continue;
		n = (size_t)(end - line);
		if (n >= sizeof(buf))
			continue;
		memcpy(buf, line, n);
		buf[n] = '\0';
		if (strstr(buf, pidl) && strstr(buf, "resource=\"fds\""))
			return strtod(end + 1, NULL);
	}
	return -1;
}

static void test_restart_keeps_forecasts(void **state)
{
	char dir[] = "/tmp/poolscope-test-restart.XXXXXX", db[96], fresh[96], err[96];
	char quiet[96], said[64], *m, *text;
	double secs;
	int pid;

	(void)state;
	REQUIRE_ROOT();
	if (system("command -v curl >/dev/null") != 0) {
		print_message("skipped: curl missing (make deps)\n");
		skip();
	}
	assert_non_null(mkdtemp(dir));
	snprintf(db, sizeof(db), "%s/h.db", dir);
	snprintf(fresh, sizeof(fresh), "%s/fresh.db", dir);
	snprintf(err, sizeof(err), "%s/w.err", dir);
	snprintf(quiet, sizeof(quiet), "%s/alerted.db", dir);
	holder_start(&pid);
	write_past(db, pid, false);
	write_past(quiet, pid, true);
	snprintf(said, sizeof(said), "(pid %d) forecast", pid);

	m = first_scrape(db, err);
	secs = forecast_of(m, pid);
	text = test_slurp(err);
	print_message("after the restart: forecast %.0f s; %s", secs, text ? text : "");
	assert_non_null(strstr(text, "window rebuilt from this boot's history"));
	/* 400 fds left at 600 per 910 s. */
	assert_true(secs > 300 && secs < 1200);
	/* Nothing said before: the forecast is alerted. */
	assert_non_null(strstr(text, said));
	free(m);
	free(text);

	m = first_scrape(quiet, err);
	secs = forecast_of(m, pid);
	text = test_slurp(err);
	print_message("after a restart with the alert in force: forecast %.0f s; %s", secs,
		      text ? text : "");
	assert_true(secs > 300 && secs < 1200);
	assert_non_null(strstr(text, "alerts in force are not said again"));
	assert_null(strstr(text, said));
	free(m);
	free(text);

	m = first_scrape(fresh, err);
	secs = forecast_of(m, pid);
	print_message("on a fresh database: forecast %.0f s\n", secs);
	assert_true(secs < 0);
	free(m);

	kill(pid, SIGKILL);
	waitpid(pid, NULL, 0);
	assert_int_equal(system("rm -rf /tmp/poolscope-test-restart.*"), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_restart_keeps_forecasts),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
