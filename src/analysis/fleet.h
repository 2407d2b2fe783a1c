/* Which host is not like the others: snapshots of many hosts
 * (model/snapshot_read.h) folded into one table of values per metric —
 * a cache's bytes and growth, a resource's use and growth, the fds of the
 * processes of one name, the fds of one type — then, per metric, every
 * host against the fleet's median and spread. The spread is the median
 * absolute deviation (MAD), so one odd host cannot hide itself by moving a
 * mean and a standard deviation; a handful of odd hosts cannot either, as
 * long as they are fewer than half. No I/O: plain structs in, plain out.
 *
 * A host deviates on a metric when its score
 *	(value - median) / max(1.4826 * MAD, rel_floor * |median|, min_abs / threshold)
 * is at least `threshold` in size (3.5 by default, Iglewicz and Hoaglin's
 * cut for the modified z-score). The two floors keep a fleet of nearly
 * equal hosts (MAD ≈ 0) from flagging a 1 % difference, and a 300-byte
 * difference in a small cache from counting at all: min_abs is per unit
 * (bytes, counts, bytes/s, counts/s).
 *
 * Everything returned is sorted on a total order of (score, host, path,
 * metric), and medians are order statistics, so the verdict does not
 * depend on the order in which hosts were added. */
#ifndef POOLSCOPE_ANALYSIS_FLEET_H
#define POOLSCOPE_ANALYSIS_FLEET_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct host_snapshot;
struct notes;

enum fleet_kind {
	FLEET_CACHE,	/* a slab cache */
	FLEET_RESOURCE, /* a kernel-wide resource (file handles, threads, …) */
	FLEET_PROCESS,	/* the processes of one name among the snapshot's top by fds */
	FLEET_FD_TYPE,	/* fds of one type, summed over those processes */
};

enum fleet_measure {
	FLEET_BYTES,	   /* cache bytes */
	FLEET_BYTES_PER_S, /* cache growth */
	FLEET_USED,	   /* resource in use */
	FLEET_USED_PER_S,  /* resource growth */
	FLEET_FDS,	   /* open fds (processes, fd types) */
	FLEET_FDS_PER_S,   /* fd growth of the processes of one name */
};

enum fleet_unit {
	FLEET_UNIT_BYTES,
	FLEET_UNIT_COUNT,
	FLEET_UNIT_BYTES_PER_S,
	FLEET_UNIT_COUNT_PER_S,
	FLEET_NUNITS,
};

/* "cache", "resource", "process", "fd type" */
const char *fleet_kind_name(enum fleet_kind k);
/* "bytes", "bytes_per_s", "used", "per_s", "fds", "fds_per_s" (JSON keys) */
const char *fleet_measure_name(enum fleet_measure m);
enum fleet_unit fleet_measure_unit(enum fleet_measure m);

struct fleet_opts {
	double threshold; /* |score| at which a host deviates (> 0) */
	double rel_floor; /* the spread is at least this fraction of |median| */
	double min_abs[FLEET_NUNITS]; /* a deviation at least this large */
	size_t min_hosts; /* fewer hosts (overall, or with a value for a metric): no verdict */
};

/* threshold 3.5, rel_floor 0.05, min_abs 256 KiB, 64 fds, 1 KiB/s, 0.5/s,
 * min_hosts 3. */
void fleet_opts_init(struct fleet_opts *o);
/* 0, or -EINVAL with why ("threshold must be > 0"). */
int fleet_opts_validate(const struct fleet_opts *o, char *why, size_t whylen);

struct fleet_host {
	char *host, *path, *kernel; /* owned; kernel may be NULL */
	bool has_caches, has_resources, has_processes;
};

struct fleet;

struct fleet *fleet_new(void);
void fleet_free(struct fleet *f); /* accepts NULL */
/* Fold one host's snapshot in (copied: s may be released after); path
 * names the file in the verdict (copied). 0, or -ENOMEM: then the fleet
 * may hold part of that host and is only good for fleet_free. */
int fleet_add(struct fleet *f, const struct host_snapshot *s, const char *path);
size_t fleet_nhosts(const struct fleet *f);
const struct fleet_host *fleet_host_at(const struct fleet *f, size_t i);

struct fleet_deviation {
	uint32_t host; /* index for fleet_host_at */
	enum fleet_kind kind;
	enum fleet_measure measure;
	const char *name; /* borrowed from the fleet */
	double value, median, mad;
	double score;  /* signed: above the fleet > 0 */
	size_t nhosts; /* hosts with a value for this metric */
};

/* A host without something most others have: a cache, a resource, a
 * process name (name set), or a whole section (name NULL: the snapshot
 * has no caches / resources / processes at all). */
struct fleet_lack {
	uint32_t host;
	enum fleet_kind kind;
	const char *name; /* borrowed; NULL for a whole section */
	size_t have;	  /* hosts that have it */
};

struct fleet_odd_host {
	uint32_t host;
	size_t ndeviations;
	double max_score; /* the largest |score| */
};

struct fleet_verdict {
	size_t nhosts;
	bool too_few; /* fewer than min_hosts hosts: nothing judged */
	size_t nmetrics, njudged; /* metrics seen; those with enough hosts */
	struct fleet_deviation *deviations; /* owned; largest |score| first */
	size_t ndeviations;
	struct fleet_odd_host *odd; /* owned; the most deviant first */
	size_t nodd;
	struct fleet_lack *lacks; /* owned; by host, then kind and name */
	size_t nlacks;
};

/* Judge every metric. The verdict borrows names from f: release it before
 * f is freed. Notes: hosts whose name is in several snapshots
 * ("fleet-duplicate-host"). 0 or -ENOMEM. */
int fleet_analyze(const struct fleet *f, const struct fleet_opts *o, struct fleet_verdict *v,
		  struct notes *ns);
void fleet_verdict_release(struct fleet_verdict *v); /* accepts NULL */

#endif
