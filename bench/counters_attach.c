/* Keeps poolscope's slab counters attached until stdin closes or a signal
 * arrives, then prints how many events they counted: the "ours" arm of
 * bench/top_counters.sh, without top's /proc reading in the way.
 * With an argument (a BPF object file) it attaches that object's programs
 * instead: the "empty" floor arm. */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include <bpf/libbpf.h>

#include "bpf/slabcount.h"
#include "kernel/ksyms.h"

static void on_signal(int sig)
{
	(void)sig;
}

static int run_object(const char *path)
{
	struct bpf_object *obj = bpf_object__open_file(path, NULL);
	struct bpf_program *prog;
	char c;

	if (!obj || bpf_object__load(obj)) {
		fprintf(stderr, "counters_attach: cannot load %s\n", path);
		return 1;
	}
	/* Links are released with the process; the object keeps them. */
	bpf_object__for_each_program(prog, obj) {
		if (!bpf_program__attach(prog)) {
			fprintf(stderr, "counters_attach: cannot attach %s\n",
				bpf_program__name(prog));
			return 1;
		}
	}
	printf("ready\n");
	fflush(stdout);
	while (read(0, &c, 1) > 0)
		;
	printf("counted=0 missed=0\n");
	bpf_object__close(obj);
	return 0;
}

int main(int argc, char **argv)
{
	struct slab_counters *sc = NULL;
	struct slab_count *rows = NULL;
	unsigned long long events = 0;
	struct sigaction sa = { .sa_handler = on_signal };
	struct symtab *ks = NULL;
	char why[256], c;
	size_t n = 0, i;
	int err;

	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	if (argc > 1)
		return run_object(argv[1]);
	if (ksyms__load(&ks, NULL))
		ks = NULL;
	err = slab_counters__start(ks, &sc, why, sizeof(why));
	symtab__free(ks);
	if (err) {
		fprintf(stderr, "counters_attach: %s\n", why);
		return 1;
	}
	printf("ready\n");
	fflush(stdout);
	while (read(0, &c, 1) > 0)
		;
	if (slab_counters__read(sc, &rows, &n) == 0)
		for (i = 0; i < n; i++)
			events += rows[i].allocs + rows[i].frees;
	printf("counted=%llu missed=%llu\n", events,
	       (unsigned long long)slab_counters__missed(sc));
	free(rows);
	slab_counters__stop(sc);
	return 0;
}
