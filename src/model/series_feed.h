/* One sample of each source into the series of model/series.h, named by
 * model/series_name.h, with the limit that applies set on each series: the
 * one place where a snapshot becomes series, for `diagnose` (every second)
 * and `watch` (every interval). A feed never reads the kernel: it takes
 * what the samplers and readers already returned. */
#ifndef POOLSCOPE_MODEL_SERIES_FEED_H
#define POOLSCOPE_MODEL_SERIES_FEED_H

#include <stdbool.h>
#include <stdint.h>

struct handle_resources;
struct pool_snapshot;
struct handles_snapshot;
struct ipc_list;
struct key_users;
struct meminfo;
struct memcg_list;
struct psi;
struct series_set;
struct sys_limits;

/* Per slab cache with slabinfo figures: slab/CACHE/objs (active objects)
 * and slab/CACHE/bytes. */
int series_feed_pool(struct series_set *set, double t, const struct pool_snapshot *snap);
/* /proc/meminfo: mem/FIELD in bytes for every field read (meminfo's own
 * names, "MemAvailable"), with the limits that make them finite resources:
 * SUnreclaim and Slab against MemTotal. MemAvailable runs out by falling to
 * 0: its series has no limit and folds to its upper envelope; the
 * forecaster is told the direction. */
int series_feed_meminfo(struct series_set *set, double t, const struct meminfo *mem);
/* Whether the named series folds to its upper envelope (MemAvailable): for
 * whoever rebuilds series outside a feed (watch's window from history). */
bool series_feed_upper_envelope(const char *name);
/* Per process: fds (limit: its soft RLIMIT_NOFILE when read), fds by kind
 * (kinds it holds, or held before: a kind that drops to 0 keeps its series
 * going), threads (limit: threads-max), maps (limit: max_map_count; when
 * read) and inotify watches (limit: max_user_watches). t: seconds since
 * the set's origin. 0 or -ENOMEM. */
int series_feed_handles(struct series_set *set, double t, const struct handles_snapshot *snap,
			const struct sys_limits *limits);
/* Kernel-wide resources, each "sys/NAME" (per-user rows "sys/NAME uid U")
 * with its limit. */
int series_feed_resources(struct series_set *set, double t, const struct handle_resources *res);
/* Keys per user: keys/UID/keys and keys/UID/bytes against the user's quota. */
int series_feed_keys(struct series_set *set, double t, const struct key_users *keys);
/* SysV message queues: sysv/msg/ID/bytes (limit: msgmnb when known, the
 * default size of a queue) and sysv/msg/ID/messages, and the unread bytes
 * per last sender, sysv/sender/PID/bytes. */
int series_feed_sysv_msg(struct series_set *set, double t, const struct ipc_list *ipc,
			 uint64_t msgmnb);

/* Memory pressure (PSI): mem/pressure_some_avg10 and mem/pressure_full_avg10,
 * the percent of the last 10 s that tasks stalled on memory; no limit. */
int series_feed_psi(struct series_set *set, double t, const struct psi *psi);
/* Per memory cgroup: memcg/PATH/usage against its limit (when it has one),
 * memcg/PATH/kernel (kernel memory charged, when known) and memcg/PATH/slab
 * (cgroup v2). The breakdown beyond slab stays in the reader's list: three
 * series per cgroup keep watch's window small on a machine of hundreds. */
int series_feed_memcg(struct series_set *set, double t, const struct memcg_list *list);

#endif
