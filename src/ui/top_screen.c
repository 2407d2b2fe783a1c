#include "ui/top_screen.h"

#include <errno.h>
#include <locale.h>
#include <ncurses.h>
#include <stdio.h>
#include <stdlib.h>
#include <fcntl.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "output/table.h"
#include "output/diag.h"
#include "util/parse.h"
#include "util/signals.h"
#include "util/timeutil.h"
#include "util/visible.h"

struct top_screen {
	SCREEN *term;  /* ours, from newterm() */
	int scroll;    /* first table row shown */
	int body_rows; /* table rows that fit, from the last draw */
	int nrows;     /* table rows in the last draw */
	int saved_stderr; /* the real stderr while warnings are held; -1: none */
};

static const char *const help_lines[] = {
    "poolscope top: keys",
    "",
    "  t  sort by tag name       a  sort by allocs       f  sort by frees",
    "  d  sort by diff           b  sort by bytes        m  sort by per-object size",
    "  o  sort by objects        (  sort by the change since the last refresh (toggle)",
    "  r  reverse the order      p  cycle type: unrecl, recl, all",
    "  /  filter: globs, comma-separated, '!' excludes (empty: none)",
    "  space  pause/resume       +/-  refresh slower/faster   s  set refresh seconds",
    "  up/down, PgUp/PgDn, Home/End  scroll",
    "  h or ?  this help         q  quit",
    "",
    "Allocs/Frees/Diff count events since poolscope started; +X columns are the",
    "change since the previous refresh. '-' means not known (see the header).",
    "'~' right of Diff: frees not all traced; the diff sort uses Objs growth.",
    "",
    "Press any key to return.",
};

/* While the screen is up, warnings written to stderr would scribble over it:
 * hold them in an anonymous memory file and replay them once the terminal is
 * back. Returns the real stderr's fd, or -1 when nothing is held. */
static int stderr_hold(void)
{
	int mem = memfd_create("poolscope-top-stderr", MFD_CLOEXEC);
	int saved;

	if (mem < 0)
		return -1;
	fflush(stderr);
	saved = fcntl(STDERR_FILENO, F_DUPFD_CLOEXEC, 3);
	if (saved < 0 || dup2(mem, STDERR_FILENO) < 0) {
		if (saved >= 0)
			close(saved);
		close(mem);
		return -1;
	}
	close(mem);
	return saved;
}

static void stderr_release(int saved)
{
	char buf[4096];
	ssize_t n;
	int mem;

	if (saved < 0)
		return;
	fflush(stderr);
	mem = fcntl(STDERR_FILENO, F_DUPFD_CLOEXEC, 3);
	dup2(saved, STDERR_FILENO);
	close(saved);
	if (mem < 0)
		return;
	lseek(mem, 0, SEEK_SET);
	while ((n = read(mem, buf, sizeof(buf))) > 0)
		if (write(STDERR_FILENO, buf, (size_t)n) != n)
			break;
	close(mem);
}

int top_screen_open(struct top_screen **out)
{
	struct top_screen *s;

	if (!isatty(STDIN_FILENO) || !isatty(STDOUT_FILENO)) {
		ps_error("top: the interactive screen needs a terminal; use -b for batch output");
		return -ENOTTY;
	}
	s = calloc(1, sizeof(*s));
	if (!s)
		return -ENOMEM;
	setlocale(LC_CTYPE, "");
	/* Not initscr(): on an unknown TERM it prints its own message and exits,
	 * past our cleanup and our one-line error. newterm() returns NULL. */
	s->term = newterm(NULL, stdout, stdin);
	if (!s->term) {
		const char *term = getenv("TERM");

		ps_error("top: cannot use the terminal (%s%s%s); use -b for batch output",
			 term ? "TERM=" : "TERM is not set", term ? term : "",
			 term ? " is unknown here" : "");
		free(s);
		return -ENOTTY;
	}
	/* cbreak, not raw: Ctrl-C stays a signal, which only sets a flag. */
	cbreak();
	noecho();
	nonl();
	keypad(stdscr, TRUE);
	curs_set(0);
	s->saved_stderr = stderr_hold();
	*out = s;
	return 0;
}

void top_screen_close(struct top_screen *s)
{
	if (!s)
		return;
	endwin();
	delscreen(s->term);
	stderr_release(s->saved_stderr);
	free(s);
}

/* Every line goes through visible_escape: cache names are the kernel's and
 * the filter the user's, but no byte of them may drive the terminal, and
 * curses would show invalid UTF-8 as whatever the terminal makes of it. */
static void draw_line(int y, const char *text, int attr)
{
	char shown[4096];

	if (y >= LINES)
		return;
	visible_escape(text, strlen(text), shown, sizeof(shown));
	move(y, 0);
	clrtoeol();
	if (attr)
		attron(attr);
	mvaddnstr(y, 0, shown, COLS);
	if (attr)
		attroff(attr);
}

static void draw_help(void)
{
	unsigned int i;

	erase();
	for (i = 0; i < sizeof(help_lines) / sizeof(help_lines[0]); i++)
		draw_line((int)i, help_lines[i], i == 0 ? A_BOLD : 0);
	refresh();
}

/* The table as text lines, fitted to the width: the text renderer squeezes
 * the Owner and Merged columns first. Returns a malloc'd buffer. */
static char *render_table(const struct table *t, size_t *len)
{
	struct table_render_opts opts = {.max_width = COLS};
	char *buf = NULL;
	FILE *f = open_memstream(&buf, len);

	if (!f)
		return NULL;
	table_render(t, FMT_TEXT, f, &opts);
	fclose(f);
	return buf;
}

void top_screen_draw(struct top_screen *s, const char *const *header, int nheader,
		     const struct table *t, const struct top_controls *c, const char *status_note)
{
	char status[512];
	char delay[32];
	size_t len = 0;
	char *text, *line, *next;
	int y = 0, i, row;

	if (c->help) {
		draw_help();
		return;
	}
	erase();
	for (i = 0; i < nheader && y < LINES; i++)
		draw_line(y++, header[i], i == 0 ? A_BOLD : 0);
	snprintf(delay, sizeof(delay), "%gs", (double)c->delay_ns / 1e9);
	snprintf(status, sizeof(status), "sort %s%s%s  type %s  filter %s  every %s%s  (h: help)",
		 c->sort_key, c->by_change ? " change" : "", c->reverse ? " reversed" : "",
		 pool_type_name(c->type), c->filter_text[0] ? c->filter_text : "none", delay,
		 c->paused ? "  PAUSED" : "");
	draw_line(y++, status, 0);
	if (status_note && y < LINES)
		draw_line(y++, status_note, 0);
	s->nrows = table_rows(t);
	s->body_rows = LINES - y - 1; /* minus the column titles */
	if (s->body_rows < 0)
		s->body_rows = 0;
	if (s->scroll > s->nrows - s->body_rows)
		s->scroll = s->nrows - s->body_rows;
	if (s->scroll < 0)
		s->scroll = 0;
	text = render_table(t, &len);
	if (!text) {
		refresh();
		return;
	}
	/* First line: column titles; then rows, from the scroll offset. */
	for (line = text, row = -1; line && *line && y < LINES; line = next, row++) {
		next = strchr(line, '\n');
		if (next)
			*next++ = '\0';
		if (row >= 0 && row < s->scroll)
			continue;
		draw_line(y++, line, row < 0 ? A_REVERSE : 0);
	}
	free(text);
	refresh();
}

/* A one-line prompt at the bottom; Enter accepts, Escape cancels. */
static bool prompt(const char *label, char *buf, size_t size)
{
	size_t len = strlen(buf);
	int ch;

	curs_set(1);
	timeout(200);
	for (;;) {
		move(LINES - 1, 0);
		clrtoeol();
		attron(A_BOLD);
		mvaddnstr(LINES - 1, 0, label, COLS);
		attroff(A_BOLD);
		addnstr(buf, COLS - (int)strlen(label) > 0 ? COLS - (int)strlen(label) : 0);
		refresh();
		ch = getch();
		if (should_stop()) {
			curs_set(0);
			return false;
		}
		if (ch == ERR)
			continue;
		if (ch == '\n' || ch == '\r' || ch == KEY_ENTER)
			break;
		if (ch == 27) { /* Escape */
			curs_set(0);
			return false;
		}
		if (ch == 21) { /* Ctrl-U: erase the line, as in a shell */
			len = 0;
			buf[0] = '\0';
		} else if ((ch == KEY_BACKSPACE || ch == 127 || ch == 8) && len > 0)
			buf[--len] = '\0';
		else if (ch >= 32 && ch < 127 && len + 1 < size) {
			buf[len++] = (char)ch;
			buf[len] = '\0';
		}
	}
	curs_set(0);
	return true;
}

static void apply_filter(struct top_controls *c, const char *text)
{
	struct globlist fresh = {0};

	if (text[0] && globlist_add(&fresh, text)) {
		globlist_clear(&fresh);
		return; /* a pattern that cannot be used: keep the old filter */
	}
	globlist_clear(&c->filter);
	c->filter = fresh;
	snprintf(c->filter_text, sizeof(c->filter_text), "%s", text);
}

static void set_sort(struct top_controls *c, const char *key)
{
	/* Pressing the current key again flips the order, as in PoolMon. */
	if (strcmp(c->sort_key, key) == 0)
		c->reverse = !c->reverse;
	else
		c->reverse = false;
	snprintf(c->sort_key, sizeof(c->sort_key), "%s", key);
}

/* One key; true when the view changed. */
static bool handle_key(struct top_screen *s, struct top_controls *c, int ch, bool *quit)
{
	char text[256];
	uint64_t ns;

	if (c->help) {
		c->help = false;
		return true;
	}
	switch (ch) {
	case 'q':
	case 'Q': *quit = true; return false;
	case 't': set_sort(c, "tag"); break;
	case 'a': set_sort(c, "allocs"); break;
	case 'f': set_sort(c, "frees"); break;
	case 'd': set_sort(c, "diff"); break;
	case 'b': set_sort(c, "bytes"); break;
	case 'm': set_sort(c, "size"); break;
	case 'o': set_sort(c, "objs"); break;
	case '(':
	case ')': c->by_change = !c->by_change; break;
	case 'r': c->reverse = !c->reverse; break;
	case 'p':
		c->type = c->type == POOL_TYPE_ALL	? POOL_TYPE_UNRECL
			  : c->type == POOL_TYPE_UNRECL ? POOL_TYPE_RECL
							: POOL_TYPE_ALL;
		break;
	case ' ': c->paused = !c->paused; break;
	case 'h':
	case '?': c->help = true; break;
	case '+':
		c->delay_ns =
		    c->delay_ns * 2 > TOP_DELAY_MAX_NS ? TOP_DELAY_MAX_NS : c->delay_ns * 2;
		break;
	case '-':
		c->delay_ns =
		    c->delay_ns / 2 < TOP_DELAY_MIN_NS ? TOP_DELAY_MIN_NS : c->delay_ns / 2;
		break;
	case 's':
		text[0] = '\0';
		if (prompt("refresh every (seconds): ", text, sizeof(text)) &&
		    parse_duration_ns(text, &ns) == 0)
			c->delay_ns = ns < TOP_DELAY_MIN_NS   ? TOP_DELAY_MIN_NS
				      : ns > TOP_DELAY_MAX_NS ? TOP_DELAY_MAX_NS
							      : ns;
		break;
	case '/':
		snprintf(text, sizeof(text), "%s", c->filter_text);
		if (prompt("filter (globs, !exclude): ", text, sizeof(text)))
			apply_filter(c, text);
		s->scroll = 0;
		break;
	case KEY_UP: s->scroll--; break;
	case KEY_DOWN: s->scroll++; break;
	case KEY_PPAGE: s->scroll -= s->body_rows; break;
	case KEY_NPAGE: s->scroll += s->body_rows; break;
	case KEY_HOME: s->scroll = 0; break;
	case KEY_END: s->scroll = s->nrows; break;
	case KEY_RESIZE: break;
	default: return false;
	}
	return true;
}

enum top_event top_screen_wait(struct top_screen *s, struct top_controls *c, uint64_t timeout_ns)
{
	uint64_t deadline = monotonic_ns() + timeout_ns;

	for (;;) {
		uint64_t now = monotonic_ns();
		bool quit = false;
		int ch;

		if (should_stop())
			return TOP_EV_QUIT;
		if (winch_requested) {
			/* Our handler replaced ncurses' one: re-read the size here. */
			winch_requested = 0;
			endwin();
			refresh();
			return TOP_EV_VIEW;
		}
		if (now >= deadline)
			return TOP_EV_TIMEOUT;
		/* Short slices so signals are noticed even if getch restarts. */
		timeout(
		    (int)((deadline - now) / 1000000 > 250 ? 250 : (deadline - now) / 1000000 + 1));
		ch = getch();
		if (ch == ERR)
			continue;
		if (handle_key(s, c, ch, &quit))
			return TOP_EV_VIEW;
		if (quit)
			return TOP_EV_QUIT;
	}
}
