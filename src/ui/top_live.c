#include "ui/top_live.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "output/pool_render.h"
#include "output/pool_table.h"
#include "ui/top_screen.h"
#include "output/diag.h"
#include "util/signals.h"
#include "util/timeutil.h"

/* The command line's sort, type and filter as the screen's controls (the
 * filter as text the '/' prompt can edit). 0 or -EINVAL. */
static int controls_init(struct top_controls *ctl, const struct top_live_opts *o)
{
	int i;

	snprintf(ctl->sort_key, sizeof(ctl->sort_key), "%s",
		 pool_sort_key_change(o->sort_key, false));
	ctl->by_change = strcmp(ctl->sort_key, o->sort_key) != 0;
	ctl->reverse = o->reverse;
	ctl->type = o->type;
	ctl->delay_ns = o->delay_ns < TOP_DELAY_MIN_NS ? TOP_DELAY_MIN_NS : o->delay_ns;
	for (i = 0; o->filter && i < o->filter->count; i++) {
		size_t len = strlen(ctl->filter_text);

		snprintf(ctl->filter_text + len, sizeof(ctl->filter_text) - len, "%s%s",
			 len ? "," : "", o->filter->patterns[i]);
	}
	if (ctl->filter_text[0] && globlist_add(&ctl->filter, ctl->filter_text))
		return -EINVAL;
	return 0;
}

/* Draw the latest snapshot the way the controls ask. 0 or -ENOMEM (said). */
static int draw(struct top_screen *screen, const struct pool_sampler *sampler,
		const struct top_controls *ctl)
{
	struct pool_view view = {pool_sort_key_change(ctl->sort_key, ctl->by_change), ctl->reverse,
				 ctl->type, &ctl->filter};
	char lines[POOL_HEADER_LINES][POOL_HEADER_LEN];
	const char *header[POOL_HEADER_LINES];
	struct pool_sampler_status status;
	struct pool_header h = {pool_sampler_latest(sampler), &status, ctl->delay_ns};
	struct table *t;
	int i, n;

	if (pool_table_make(h.snap, &view, &t)) {
		ps_error("top: out of memory building the table");
		return -ENOMEM;
	}
	pool_sampler_status(sampler, &status);
	n = pool_header_lines(&h, lines);
	for (i = 0; i < n; i++)
		header[i] = lines[i];
	top_screen_draw(screen, header, n, t, ctl, NULL);
	table_free(t);
	return 0;
}

int top_live_run(const struct pool_sampler *sampler, const struct top_live_opts *o)
{
	struct top_controls ctl = {0};
	struct top_screen *screen = NULL;
	uint64_t next_refresh = 0, delay_ns = 0;
	long samples = 0;
	int err;

	err = controls_init(&ctl, o);
	if (!err)
		err = top_screen_open(&screen);
	if (err)
		goto out;
	delay_ns = ctl.delay_ns;
	while (!should_stop()) {
		enum top_event ev;
		uint64_t now = monotonic_ns();

		if (!ctl.paused && now >= next_refresh) {
			if (o->count > 0 && samples >= o->count)
				break;
			delay_ns = ctl.delay_ns;
			err = o->sample(o->ctx, delay_ns);
			if (err)
				break;
			samples++;
			next_refresh = now + ctl.delay_ns;
		}
		err = draw(screen, sampler, &ctl);
		if (err)
			break;
		now = monotonic_ns();
		ev = top_screen_wait(screen, &ctl,
				     ctl.paused		  ? 250000000ull
				     : next_refresh > now ? next_refresh - now
							  : 0);
		if (ev == TOP_EV_QUIT)
			break;
		/* A new interval counts from now. */
		if (ctl.delay_ns != delay_ns) {
			delay_ns = ctl.delay_ns;
			next_refresh = monotonic_ns() + ctl.delay_ns;
		}
	}
out:
	top_screen_close(screen);
	globlist_clear(&ctl.filter);
	return err;
}
