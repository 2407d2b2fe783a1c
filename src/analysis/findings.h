/* What `diagnose` (and `watch`'s attached diagnosis) concludes: one finding
 * per problem, each with the resource that runs out, how fast, who holds it,
 * who allocated it, the kernel path, a confidence and the evidence lines it
 * rests on; plus what was checked and what was lost on the way. Plain data,
 * filled by analysis/diagnosis.c, drawn by output/findings_render.c. The JSON
 * layout (poolscope-diagnose(8)) is a contract: change only additively. */
#ifndef POOLSCOPE_ANALYSIS_FINDINGS_H
#define POOLSCOPE_ANALYSIS_FINDINGS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

enum finding_kind {
	FINDING_LEAK,	    /* grows steadily and is not given back: the one claim of a leak */
	FINDING_CACHE,	    /* reclaimable memory that grows: the kernel gives it back under pressure */
	FINDING_NEAR_LIMIT, /* large (≥ 80 % of its limit) but not growing */
};

/* "leak", "cache", "near-limit". */
const char *finding_kind_name(enum finding_kind k);

#define FINDING_TEXT 160
#define FINDING_FRAMES 24
#define FINDING_UFRAMES 12
#define FINDING_EVIDENCE 16

struct finding_process {
	bool known; /* false: JSON null (no process holds the objects, or unknown) */
	int pid;
	char comm[64];
	char unit[128]; /* systemd unit or cgroup path; "" when none */
};

struct finding {
	enum finding_kind kind;
	char resource[FINDING_TEXT];	/* what runs out: "fds of pid 1234 (RLIMIT_NOFILE)" */
	char tag[64];			/* slab cache or fd type: "filp", "eventfd"; "" none */
	char object_type[FINDING_TEXT]; /* "struct file (eventfd)", "thread", "SysV message" */
	double rate_per_s;		/* objects (or bytes, see unit) gained per second */
	char unit[16];			/* "objects", "bytes", "fds", "threads", ... */
	double used;			/* the value now */
	double limit;			/* < 0: no limit applies or none known */
	char limit_name[FINDING_TEXT];	/* "RLIMIT_NOFILE soft", "vm.max_map_count" */
	double exhaustion_s;		/* < 0: never at this rate (or no limit) */
	struct finding_process holder;
	struct finding_process allocator; /* known only when it differs from holder */
	char stack[FINDING_FRAMES][FINDING_TEXT]; /* allocating kernel path, innermost first */
	size_t nstack;
	/* The allocating process's own call chain into that path (recorded with
	 * user stacks), innermost first: "conn_open [u:server]"; none when not
	 * taken. ustack_kind says what it is ("frame pointers", "kernel thread
	 * (no user stack)", ...); "" when the recording took no user stacks. */
	char ustack[FINDING_UFRAMES][FINDING_TEXT];
	size_t nustack;
	char ustack_kind[48];
	char subsystem[64]; /* module or subsystem the stack belongs to; "" unknown */
	double confidence;  /* 0..1 */
	char evidence[FINDING_EVIDENCE][2 * FINDING_TEXT]; /* numbers with their sources */
	size_t nevidence;
	char series[4][FINDING_TEXT]; /* names of the series it rests on (model/series.h): graphs */
	size_t nseries;
};

/* What the counting and stack phases looked at. */
struct diagnosis_checked {
	double duration_s;
	unsigned int samples;	   /* counting-phase samples taken */
	unsigned int processes;	   /* processes seen in the last sample */
	unsigned int caches;	   /* slab caches seen */
	unsigned int series;	   /* series assessed */
	unsigned int growing;	   /* of them, steady growth */
	char sources[24][FINDING_TEXT]; /* "slab caches (/proc/slabinfo, eBPF counters)", ... */
	size_t nsources;
	char skipped[16][2 * FINDING_TEXT]; /* what could not be checked, and why */
	size_t nskipped;
	char recorded_tags[8][64];	/* caches the stack phase recorded */
	size_t nrecorded;
};

struct diagnosis_lost {
	uint64_t bpf_misses, ringbuf, map, stacks; /* events the recorder lost */
	uint64_t counter_misses;		   /* slab counter events missed */
};

struct diagnosis {
	struct finding *findings; /* owned; leaks first, then near-limit, then caches */
	size_t n, cap;
	struct diagnosis_checked checked;
	struct diagnosis_lost lost;
};

/* A new finding at the end (zeroed, limit and exhaustion -1); NULL on ENOMEM. */
struct finding *diagnosis_add(struct diagnosis *d, enum finding_kind kind);
/* Name a series the finding rests on (for graphs; dropped past 4). */
void finding_series(struct finding *f, const char *name);
/* Append one evidence line (dropped past FINDING_EVIDENCE). */
void finding_evidence(struct finding *f, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void diagnosis_checked_source(struct diagnosis *d, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
void diagnosis_checked_skip(struct diagnosis *d, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
/* Leaks first (by confidence, then soonest exhaustion), near-limit, caches. */
void diagnosis_sort(struct diagnosis *d);
void diagnosis_release(struct diagnosis *d);

#endif
