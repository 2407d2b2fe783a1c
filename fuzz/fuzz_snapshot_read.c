/* libFuzzer harness for the snapshot reader: any byte string must parse
 * to a snapshot or to one clean error line, without a crash, a hang or
 * unbounded memory; what parses must fold into a fleet and be judged.
 * `make fuzz` runs it on fuzz/corpus-snapshot/; tests/unit/test_snapshot_read
 * replays that corpus. jansson itself is the system's (not instrumented):
 * coverage guides the fuzzer through our reader, not through the parser. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "analysis/fleet.h"
#include "model/snapshot_read.h"

int LLVMFuzzerTestOneInput(const uint8_t *bytes, size_t len)
{
	struct host_snapshot s;
	struct fleet_verdict v;
	struct fleet_opts o;
	struct fleet *f;
	char why[512];
	int i;

	if (snapshot_read_buf((const char *)bytes, len, "fuzz.json", &s, why, sizeof(why))) {
		if (!why[0] || strchr(why, '\n'))
			abort(); /* an error says why, on one line */
		return 0;
	}
	if (!s.host || !s.host[0])
		abort();
	f = fleet_new();
	if (!f)
		abort();
	fleet_opts_init(&o);
	/* three copies: enough hosts to be judged */
	for (i = 0; i < 3; i++)
		if (fleet_add(f, &s, "fuzz.json"))
			abort();
	if (fleet_analyze(f, &o, &v, NULL))
		abort();
	if (v.ndeviations) /* equal hosts never deviate */
		abort();
	fleet_verdict_release(&v);
	fleet_free(f);
	host_snapshot_release(&s);
	return 0;
}
