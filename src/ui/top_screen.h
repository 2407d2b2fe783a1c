/* The interactive screen of `top`: the only code that knows about curses.
 * It draws header lines and a tag table made elsewhere, and turns keys into
 * changes of the view controls; it never reads the kernel. */
#ifndef POOLSCOPE_UI_TOP_SCREEN_H
#define POOLSCOPE_UI_TOP_SCREEN_H

#include <stdbool.h>
#include <stdint.h>

#include "model/pool.h"
#include "util/globlist.h"

struct table;
struct top_screen;

/* What the user can change with keys; top.c applies it to the next view. */
struct top_controls {
	char sort_key[32];	    /* value key: "tag", "allocs", "bytes", ... */
	bool by_change;		    /* '(' : sort by the change of the key instead */
	bool reverse;		    /* 'r' */
	enum pool_type_filter type; /* 'p' cycles unrecl, recl, all */
	char filter_text[256];	    /* '/' : comma-separated globs, '!' excludes */
	struct globlist filter;	    /* compiled filter_text (owned) */
	bool paused;		    /* space */
	uint64_t delay_ns;	    /* refresh interval: '+', '-', 's' */
	bool help;		    /* 'h', '?' */
};

enum top_event {
	TOP_EV_TIMEOUT, /* the wait ended: time to refresh (unless paused) */
	TOP_EV_VIEW,	/* controls changed: redraw the current snapshot */
	TOP_EV_QUIT,	/* 'q', or a stop signal */
};

/* Take over the terminal. While the screen is up, what is written to stderr
 * is held and replayed by top_screen_close (warnings would scribble over the
 * screen). 0 or -errno (says why once). */
int top_screen_open(struct top_screen **out);
/* Draw: header lines, the table (already filtered and sorted) and a status
 * line with the controls; status_note is an extra line (may be NULL). */
void top_screen_draw(struct top_screen *s, const char *const *header, int nheader,
		     const struct table *t, const struct top_controls *c, const char *status_note);
/* Wait up to timeout_ns for keys and apply them to c. */
enum top_event top_screen_wait(struct top_screen *s, struct top_controls *c, uint64_t timeout_ns);
/* Give the terminal back as it was, then replay the held stderr. Accepts NULL. */
void top_screen_close(struct top_screen *s);

/* Bounds of the refresh interval the keys move within. */
#define TOP_DELAY_MIN_NS 100000000ull	  /* 0.1 s */
#define TOP_DELAY_MAX_NS 3600000000000ull /* 1 h */

#endif
