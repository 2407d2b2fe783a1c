/* The fleet analysis (analysis/fleet.c) and its rendering: the odd host is
 * named with the cache and resource it deviates on; the verdict is the
 * same whatever the order of the hosts (every permutation of 5, 200
 * shuffles of 200); robust to a few odd hosts; quiet on a fleet of equal
 * hosts; says when there are too few hosts and what a host lacks. */
#include "test_util.h"

#include <errno.h>
#include <math.h>

#include "analysis/fleet.h"
#include "model/snapshot_read.h"
#include "output/fleet_render.h"
#include "util/notes.h"

#define SNAPS FIXTURES_DIR "/snapshots"

static void read_fixture(const char *name, struct host_snapshot *s)
{
	char path[256], why[256];

	snprintf(path, sizeof(path), SNAPS "/%s.json", name);
	if (snapshot_read_file(path, s, why, sizeof(why)))
		fail_msg("%s", why);
}

/* A synthetic host: filp bytes, file handles in use, and an "app"
 * process with fds eventfds. */
static void synth(struct host_snapshot *s, const char *host, double filp, double files,
		  double eventfds)
{
	memset(s, 0, sizeof(*s));
	s->host = strdup(host);
	s->has_caches = s->has_resources = s->has_processes = true;
	s->caches = calloc(2, sizeof(*s->caches));
	s->ncaches = 2;
	s->caches[0] = (struct snapshot_cache){strdup("filp"), filp, filp / 256, 1.0, NAN, 0};
	s->caches[1] = (struct snapshot_cache){strdup("dentry"), 40e6, 2e5, 0, 0, 1};
	s->resources = calloc(1, sizeof(*s->resources));
	s->nresources = 1;
	s->resources[0] = (struct snapshot_resource){strdup("file handles (fs.file-nr)"), files,
						      2e6, 0.1, NAN};
	s->processes = calloc(1, sizeof(*s->processes));
	s->nprocesses = 1;
	s->processes[0].comm = strdup("app");
	s->processes[0].fds = eventfds + 10;
	s->processes[0].fds_per_s = 0;
	s->processes[0].types = calloc(2, sizeof(struct snapshot_fd_type));
	s->processes[0].ntypes = 2;
	s->processes[0].types[0] = (struct snapshot_fd_type){strdup("eventfd"), eventfds};
	s->processes[0].types[1] = (struct snapshot_fd_type){strdup("file"), 10};
}

/* The verdict as JSON text: what "the same verdict" means. */
static char *verdict_json(struct host_snapshot *hosts, const size_t *order, size_t n)
{
	struct fleet *f = fleet_new();
	struct fleet_verdict v;
	struct fleet_opts o;
	struct notes ns = NOTES_INIT;
	char *buf = NULL, path[32];
	size_t len = 0, i;
	FILE *out = open_memstream(&buf, &len);

	assert_non_null(f);
	assert_non_null(out);
	fleet_opts_init(&o);
	for (i = 0; i < n; i++) {
		snprintf(path, sizeof(path), "%s.json", hosts[order[i]].host);
		assert_int_equal(fleet_add(f, &hosts[order[i]], path), 0);
	}
	assert_int_equal(fleet_analyze(f, &o, &v, &ns), 0);
	assert_int_equal(fleet_render_json(&(struct fleet_render){.fleet = f, .verdict = &v,
								  .opts = &o},
					   out),
			 0);
	fclose(out);
	fleet_verdict_release(&v);
	fleet_free(f);
	notes_release(&ns);
	return buf;
}

static bool has_deviation(const struct fleet *f, const struct fleet_verdict *v, const char *host,
			  enum fleet_kind kind, const char *name, enum fleet_measure m)
{
	for (size_t i = 0; i < v->ndeviations; i++) {
		const struct fleet_deviation *d = &v->deviations[i];

		if (d->kind == kind && d->measure == m && strcmp(d->name, name) == 0 &&
		    strcmp(fleet_host_at(f, d->host)->host, host) == 0)
			return true;
	}
	return false;
}

static void test_eventfd_host_named(void **state)
{
	static const char *const names[] = {"web-1", "web-2", "web-3"};
	struct host_snapshot s;
	struct fleet *f = fleet_new();
	struct fleet_verdict v;
	struct fleet_opts o;
	size_t i;

	(void)state;
	fleet_opts_init(&o);
	for (i = 0; i < 3; i++) {
		read_fixture(names[i], &s);
		assert_int_equal(fleet_add(f, &s, names[i]), 0);
		host_snapshot_release(&s);
	}
	assert_int_equal(fleet_analyze(f, &o, &v, NULL), 0);
	assert_false(v.too_few);
	assert_int_equal(v.nodd, 1);
	assert_string_equal(fleet_host_at(f, v.odd[0].host)->host, "web-3");
	assert_true(has_deviation(f, &v, "web-3", FLEET_CACHE, "filp", FLEET_BYTES));
	assert_true(has_deviation(f, &v, "web-3", FLEET_RESOURCE, "file handles (fs.file-nr)",
				  FLEET_USED));
	assert_true(has_deviation(f, &v, "web-3", FLEET_FD_TYPE, "eventfd", FLEET_FDS));
	/* every deviation is web-3's, above the fleet */
	for (i = 0; i < v.ndeviations; i++) {
		assert_string_equal(fleet_host_at(f, v.deviations[i].host)->host, "web-3");
		assert_true(v.deviations[i].score >= o.threshold);
		if (i)
			assert_true(fabs(v.deviations[i].score) <= fabs(v.deviations[i - 1].score));
	}
	fleet_verdict_release(&v);
	fleet_free(f);
}

static bool next_permutation(size_t *a, size_t n)
{
	size_t i = n - 1, j = n - 1, t;

	while (i > 0 && a[i - 1] >= a[i])
		i--;
	if (i == 0)
		return false;
	while (a[j] <= a[i - 1])
		j--;
	t = a[i - 1], a[i - 1] = a[j], a[j] = t;
	for (j = n - 1; i < j; i++, j--)
		t = a[i], a[i] = a[j], a[j] = t;
	return true;
}

static void test_every_permutation_of_5(void **state)
{
	static const char *const names[] = {"web-1", "web-2", "web-3", "web-4", "web-5"};
	struct host_snapshot hosts[5];
	size_t order[5] = {0, 1, 2, 3, 4}, i, perms = 0;
	char *first, *again;

	(void)state;
	for (i = 0; i < 5; i++)
		read_fixture(names[i], &hosts[i]);
	first = verdict_json(hosts, order, 5);
	assert_non_null(strstr(first, "\"odd_hosts\":[{\"host\":\"web-3\""));
	while (next_permutation(order, 5)) {
		again = verdict_json(hosts, order, 5);
		assert_string_equal(again, first);
		free(again);
		perms++;
	}
	assert_int_equal(perms, 119);
	free(first);
	for (i = 0; i < 5; i++)
		host_snapshot_release(&hosts[i]);
}

static uint64_t xorshift(uint64_t *x)
{
	*x ^= *x << 13;
	*x ^= *x >> 7;
	*x ^= *x << 17;
	return *x;
}

static void test_200_shuffles_of_200(void **state)
{
	enum { N = 200 };
	struct host_snapshot *hosts = calloc(N, sizeof(*hosts));
	size_t order[N], i, k;
	uint64_t rng = 0x9e3779b97f4a7c15ull;
	char *first, *again, name[32];

	(void)state;
	for (i = 0; i < N; i++) {
		/* ±10 % apart, ties included (i % 17); host-77 leaks eventfds */
		double jitter = 1 + 0.1 * ((double)(i % 17) / 8.0 - 1);

		snprintf(name, sizeof(name), "host-%03zu", i);
		synth(&hosts[i], name, 1048576 * jitter + (i == 77 ? 1280000 : 0),
		      3500 * jitter + (i == 77 ? 5000 : 0), i == 77 ? 5000 : 2);
		order[i] = i;
	}
	first = verdict_json(hosts, order, N);
	assert_non_null(strstr(first, "\"odd_hosts\":[{\"host\":\"host-077\""));
	/* and only host-077 */
	assert_non_null(strstr(first, "\"max_score\""));
	assert_null(strstr(strstr(first, "\"max_score\"") + 1, "\"max_score\""));
	for (k = 0; k < 200; k++) {
		for (i = N - 1; i > 0; i--) {
			size_t j = xorshift(&rng) % (i + 1), t = order[i];

			order[i] = order[j];
			order[j] = t;
		}
		again = verdict_json(hosts, order, N);
		assert_string_equal(again, first);
		free(again);
	}
	free(first);
	for (i = 0; i < N; i++)
		host_snapshot_release(&hosts[i]);
	free(hosts);
}

static void test_robust_to_a_few_odd_hosts(void **state)
{
	struct host_snapshot hosts[7];
	struct fleet *f = fleet_new();
	struct fleet_verdict v;
	struct fleet_opts o;
	char name[16];
	size_t i;

	(void)state;
	fleet_opts_init(&o);
	for (i = 0; i < 7; i++) {
		bool odd = i == 2 || i == 5;

		snprintf(name, sizeof(name), "h%zu", i);
		synth(&hosts[i], name, odd ? 50e6 : 1e6 + (double)i * 1000, 3500, 2);
		assert_int_equal(fleet_add(f, &hosts[i], name), 0);
	}
	assert_int_equal(fleet_analyze(f, &o, &v, NULL), 0);
	/* A mean and standard deviation would be dragged up by the two (mean
	 * 15 MB, sd 22 MB: neither beyond 2 sd); median and MAD are not. */
	assert_int_equal(v.nodd, 2);
	assert_true(has_deviation(f, &v, "h2", FLEET_CACHE, "filp", FLEET_BYTES));
	assert_true(has_deviation(f, &v, "h5", FLEET_CACHE, "filp", FLEET_BYTES));
	fleet_verdict_release(&v);
	fleet_free(f);
	for (i = 0; i < 7; i++)
		host_snapshot_release(&hosts[i]);
}

static void test_equal_hosts_quiet(void **state)
{
	struct host_snapshot hosts[4];
	struct fleet *f = fleet_new();
	struct fleet_verdict v;
	struct fleet_opts o;
	size_t i;

	(void)state;
	fleet_opts_init(&o);
	/* MAD 0: a 1 % difference is not a deviation (the relative floor) */
	for (i = 0; i < 4; i++) {
		synth(&hosts[i], i == 3 ? "d" : i == 2 ? "c" : i ? "b" : "a", i == 3 ? 1.01e6 : 1e6,
		      3500, 2);
		assert_int_equal(fleet_add(f, &hosts[i], "x.json"), 0);
	}
	assert_int_equal(fleet_analyze(f, &o, &v, NULL), 0);
	assert_int_equal(v.ndeviations, 0);
	assert_int_equal(v.nodd, 0);
	assert_int_equal(v.nlacks, 0);
	assert_int_equal(v.njudged, v.nmetrics);
	fleet_verdict_release(&v);
	fleet_free(f);
	for (i = 0; i < 4; i++)
		host_snapshot_release(&hosts[i]);
}

static void test_too_few_and_lacks(void **state)
{
	struct host_snapshot hosts[4];
	struct fleet *f = fleet_new();
	struct fleet_verdict v;
	struct fleet_opts o;
	struct notes ns = NOTES_INIT;
	size_t i;

	(void)state;
	fleet_opts_init(&o);
	for (i = 0; i < 4; i++)
		synth(&hosts[i], i == 1 ? "same" : i == 2 ? "same" : i ? "z" : "a", 1e6, 3500, 2);
	/* "a" has no dentry; "z" no resources at all */
	free(hosts[0].caches[1].name);
	hosts[0].ncaches = 1;
	free(hosts[3].resources[0].name);
	hosts[3].nresources = 0;
	hosts[3].has_resources = false;
	assert_int_equal(fleet_add(f, &hosts[0], "a.json"), 0);
	assert_int_equal(fleet_add(f, &hosts[3], "z.json"), 0);
	assert_int_equal(fleet_analyze(f, &o, &v, NULL), 0);
	assert_true(v.too_few);
	assert_int_equal(v.ndeviations, 0);
	fleet_verdict_release(&v);

	assert_int_equal(fleet_add(f, &hosts[1], "s1.json"), 0);
	assert_int_equal(fleet_add(f, &hosts[2], "s2.json"), 0);
	assert_int_equal(fleet_analyze(f, &o, &v, &ns), 0);
	assert_false(v.too_few);
	assert_int_equal(v.nlacks, 2);
	assert_string_equal(fleet_host_at(f, v.lacks[0].host)->host, "a");
	assert_int_equal(v.lacks[0].kind, FLEET_CACHE);
	assert_string_equal(v.lacks[0].name, "dentry");
	assert_int_equal(v.lacks[0].have, 3);
	assert_string_equal(fleet_host_at(f, v.lacks[1].host)->host, "z");
	assert_int_equal(v.lacks[1].kind, FLEET_RESOURCE);
	assert_null(v.lacks[1].name);
	/* "same" is in two snapshots: said, and both count */
	assert_non_null(notes_find(&ns, "fleet-duplicate-host"));
	assert_non_null(strstr(notes_find(&ns, "fleet-duplicate-host")->text, "same is in 2"));
	assert_int_equal(v.nhosts, 4);
	fleet_verdict_release(&v);
	fleet_free(f);
	notes_release(&ns);
	for (i = 0; i < 4; i++)
		host_snapshot_release(&hosts[i]);
}

static void test_text_escapes_names(void **state)
{
	struct host_snapshot hosts[3];
	struct fleet *f = fleet_new();
	struct fleet_verdict v;
	struct fleet_opts o;
	char *buf = NULL;
	size_t len = 0, i;
	FILE *out = open_memstream(&buf, &len);

	(void)state;
	fleet_opts_init(&o);
	for (i = 0; i < 3; i++) {
		synth(&hosts[i], i == 2 ? "evil\033[2J" : i ? "b" : "a", i == 2 ? 9e6 : 1e6, 3500, 2);
		assert_int_equal(fleet_add(f, &hosts[i], "p.json"), 0);
	}
	assert_int_equal(fleet_analyze(f, &o, &v, NULL), 0);
	assert_int_equal(fleet_render_text(&(struct fleet_render){.fleet = f, .verdict = &v,
								  .opts = &o},
					   out),
			 0);
	fclose(out);
	assert_null(strchr(buf, '\033'));
	assert_non_null(strstr(buf, "evil\\x1b[2J"));
	free(buf);
	fleet_verdict_release(&v);
	fleet_free(f);
	for (i = 0; i < 3; i++)
		host_snapshot_release(&hosts[i]);
}

static void test_opts(void **state)
{
	struct fleet_opts o;
	char why[128];

	(void)state;
	fleet_opts_init(&o);
	assert_int_equal(fleet_opts_validate(&o, why, sizeof(why)), 0);
	o.threshold = 0;
	assert_int_equal(fleet_opts_validate(&o, why, sizeof(why)), -EINVAL);
	fleet_opts_init(&o);
	o.min_hosts = 1;
	assert_int_equal(fleet_opts_validate(&o, why, sizeof(why)), -EINVAL);
	fleet_free(NULL);
	fleet_verdict_release(NULL);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_eventfd_host_named),
	    cmocka_unit_test(test_every_permutation_of_5),
	    cmocka_unit_test(test_200_shuffles_of_200),
	    cmocka_unit_test(test_robust_to_a_few_odd_hosts),
	    cmocka_unit_test(test_equal_hosts_quiet),
	    cmocka_unit_test(test_too_few_and_lacks),
	    cmocka_unit_test(test_text_escapes_names),
	    cmocka_unit_test(test_opts),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
