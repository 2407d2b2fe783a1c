/* Series live in one array. Each family links its series in the order first
 * added (head → next_in_family), and a hash of (family, rendered label set)
 * → index + 1 of a chain's head (→ next_in_chain) finds the series an equal
 * label set merges into. The label set is kept rendered ("{a=\"x\",b=\"y\"}"),
 * which is both the comparison key and what is written. Families are few (a
 * dozen): they are found by a linear search. */
#include "output/prom.h"

#include <errno.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "util/hashmap.h"
#include "util/utf8.h"

#define NO_INDEX SIZE_MAX

struct prom_family {
	char *name; /* owned */
	char *help; /* owned */
	enum prom_type type;
	enum prom_merge merge;
	size_t head, tail; /* series indices, NO_INDEX when empty */
	size_t count;
};

struct prom_series {
	size_t family;
	char *labels; /* owned; "" for no labels */
	double value;
	size_t next_in_family;
	size_t next_in_chain;
};

struct prom_exposition {
	struct prom_family *families;
	size_t nfamilies, cap_families;
	struct prom_series *series;
	size_t nseries, cap_series;
	struct u64map *by_hash; /* hash(family, labels) → chain head index + 1 */
};

#define SERIES_HASH_EXPECTED 256

struct prom_exposition *prom_exposition_new(void)
{
	struct prom_exposition *e = calloc(1, sizeof(*e));

	if (!e)
		return NULL;
	e->by_hash = u64map_new(SERIES_HASH_EXPECTED);
	if (!e->by_hash) {
		free(e);
		return NULL;
	}
	return e;
}

static void release_series(struct prom_exposition *e)
{
	size_t i;

	for (i = 0; i < e->nseries; i++)
		free(e->series[i].labels);
	e->nseries = 0;
	for (i = 0; i < e->nfamilies; i++) {
		e->families[i].head = e->families[i].tail = NO_INDEX;
		e->families[i].count = 0;
	}
}

void prom_exposition_free(struct prom_exposition *e)
{
	size_t i;

	if (!e)
		return;
	release_series(e);
	for (i = 0; i < e->nfamilies; i++) {
		free(e->families[i].name);
		free(e->families[i].help);
	}
	free(e->families);
	free(e->series);
	u64map_free(e->by_hash);
	free(e);
}

void prom_exposition_reset(struct prom_exposition *e)
{
	struct u64map *fresh;

	release_series(e);
	/* The map has no clear: a new one. If that fails, keep the old one and
	 * empty it by hand, so reset never fails. */
	fresh = u64map_new(SERIES_HASH_EXPECTED);
	if (fresh) {
		u64map_free(e->by_hash);
		e->by_hash = fresh;
		return;
	}
	for (;;) {
		size_t pos = 0;
		uint64_t key, head;

		if (!u64map_next(e->by_hash, &pos, &key, &head))
			break;
		u64map_remove(e->by_hash, key, NULL);
	}
}

static bool name_char(char c, bool first, bool colon)
{
	if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_')
		return true;
	if (colon && c == ':')
		return true;
	return !first && c >= '0' && c <= '9';
}

static bool name_valid(const char *name, bool colon)
{
	size_t i;

	if (!name || !name[0])
		return false;
	for (i = 0; name[i]; i++)
		if (!name_char(name[i], i == 0, colon))
			return false;
	return true;
}

bool prom_metric_name_valid(const char *name)
{
	return name_valid(name, true);
}

bool prom_label_name_valid(const char *name)
{
	return name_valid(name, false) && strncmp(name, "__", 2) != 0;
}

static struct prom_family *family_find(const struct prom_exposition *e, const char *name,
				       size_t *index)
{
	size_t i;

	for (i = 0; i < e->nfamilies; i++) {
		if (strcmp(e->families[i].name, name) == 0) {
			if (index)
				*index = i;
			return &e->families[i];
		}
	}
	return NULL;
}

int prom_family(struct prom_exposition *e, const char *name, enum prom_type type,
		enum prom_merge merge, const char *help)
{
	const struct prom_family *old;
	struct prom_family *f;

	if (!prom_metric_name_valid(name) || type > PROM_UNTYPED || merge > PROM_MERGE_MAX)
		return -EINVAL;
	old = family_find(e, name, NULL);
	if (old)
		return old->type == type && old->merge == merge ? 0 : -EEXIST;
	if (e->nfamilies == e->cap_families) {
		size_t cap = e->cap_families ? e->cap_families * 2 : 16;

		f = realloc(e->families, cap * sizeof(*f));
		if (!f)
			return -ENOMEM;
		e->families = f;
		e->cap_families = cap;
	}
	f = &e->families[e->nfamilies];
	*f = (struct prom_family){.type = type, .merge = merge, .head = NO_INDEX, .tail = NO_INDEX};
	f->name = strdup(name);
	f->help = strdup(help ? help : "");
	if (!f->name || !f->help) {
		free(f->name);
		free(f->help);
		return -ENOMEM;
	}
	e->nfamilies++;
	return 0;
}

int prom_escape_label_value(struct strbuf *out, const char *str)
{
	static const char replacement[] = "\xef\xbf\xbd"; /* U+FFFD */
	const unsigned char *s = (const unsigned char *)str;
	size_t n = strlen(str), i = 0, len;
	int err = 0;

	while (i < n && !err) {
		switch (s[i]) {
		case '\\':
			err = strbuf_puts(out, "\\\\");
			i++;
			continue;
		case '"':
			err = strbuf_puts(out, "\\\"");
			i++;
			continue;
		case '\n':
			err = strbuf_puts(out, "\\n");
			i++;
			continue;
		default: break;
		}
		len = utf8_seq_len(s + i, n - i);
		if (len == 0) {
			err = strbuf_puts(out, replacement);
			i++;
			continue;
		}
		err = strbuf_append(out, s + i, len);
		i += len;
	}
	return err;
}

/* Render the label set sorted by name into out ("" without labels): the
 * canonical form, so that equal sets given in another order are one series. */
static int render_labels(struct strbuf *out, const struct prom_label *labels, size_t nlabels)
{
	const struct prom_label *sorted[PROM_MAX_LABELS];
	size_t i, j;
	int err = 0;

	if (nlabels > PROM_MAX_LABELS)
		return -EINVAL;
	for (i = 0; i < nlabels; i++) {
		const struct prom_label *l = &labels[i];

		if (!prom_label_name_valid(l->name) || !l->value)
			return -EINVAL;
		/* Insertion sort: a handful of labels. */
		for (j = i; j > 0 && strcmp(sorted[j - 1]->name, l->name) > 0; j--)
			sorted[j] = sorted[j - 1];
		if (j > 0 && strcmp(sorted[j - 1]->name, l->name) == 0)
			return -EINVAL;
		sorted[j] = l;
	}
	if (nlabels == 0)
		return strbuf_puts(out, "");
	err = strbuf_puts(out, "{");
	for (i = 0; i < nlabels && !err; i++) {
		err = strbuf_printf(out, "%s%s=\"", i ? "," : "", sorted[i]->name);
		if (!err)
			err = prom_escape_label_value(out, sorted[i]->value);
		if (!err)
			err = strbuf_puts(out, "\"");
	}
	if (!err)
		err = strbuf_puts(out, "}");
	return err;
}

static uint64_t series_key(size_t family, const char *labels)
{
	return hash_u64((uint64_t)family) ^ hash_bytes(labels, strlen(labels));
}

static double merged(enum prom_merge merge, double old, double value)
{
	switch (merge) {
	case PROM_MERGE_MIN: return fmin(old, value);
	case PROM_MERGE_MAX: return fmax(old, value);
	case PROM_MERGE_SUM: break;
	}
	return old + value;
}

static struct prom_series *series_find(const struct prom_exposition *e, size_t family,
				       const char *labels, uint64_t key)
{
	const uint64_t *head = u64map_find(e->by_hash, key);
	size_t i;

	for (i = head ? (size_t)*head - 1 : NO_INDEX; i != NO_INDEX;
	     i = e->series[i].next_in_chain) {
		struct prom_series *s = &e->series[i];

		if (s->family == family && strcmp(s->labels, labels) == 0)
			return s;
	}
	return NULL;
}

int prom_sample(struct prom_exposition *e, const char *name, const struct prom_label *labels,
		size_t nlabels, double value)
{
	struct strbuf rendered = STRBUF_INIT;
	struct prom_family *f;
	struct prom_series *s;
	uint64_t key, *head;
	size_t family, index;
	int err;

	f = family_find(e, name, &family);
	if (!f)
		return -ENOENT;
	err = render_labels(&rendered, labels, nlabels);
	if (err)
		goto out;
	key = series_key(family, strbuf_str(&rendered));
	s = series_find(e, family, strbuf_str(&rendered), key);
	if (s) {
		s->value = merged(f->merge, s->value, value);
		goto out;
	}
	if (e->nseries == e->cap_series) {
		size_t cap = e->cap_series ? e->cap_series * 2 : 64;

		s = realloc(e->series, cap * sizeof(*s));
		if (!s) {
			err = -ENOMEM;
			goto out;
		}
		e->series = s;
		e->cap_series = cap;
	}
	head = u64map_findnew(e->by_hash, key, 0);
	if (!head) {
		err = -ENOMEM;
		goto out;
	}
	index = e->nseries++;
	s = &e->series[index];
	*s = (struct prom_series){.family = family,
				  .value = value,
				  .next_in_family = NO_INDEX,
				  .next_in_chain = *head ? (size_t)*head - 1 : NO_INDEX};
	s->labels = strbuf_detach(&rendered);
	if (!s->labels)
		s->labels = strdup("");
	if (!s->labels) {
		/* Undo: the chain head still points at the previous series. */
		if (s->next_in_chain == NO_INDEX)
			u64map_remove(e->by_hash, key, NULL);
		e->nseries--;
		err = -ENOMEM;
		goto out;
	}
	*head = (uint64_t)index + 1;
	if (f->tail == NO_INDEX)
		f->head = index;
	else
		e->series[f->tail].next_in_family = index;
	f->tail = index;
	f->count++;
out:
	strbuf_release(&rendered);
	return err;
}

size_t prom_series_count(const struct prom_exposition *e, const char *name)
{
	const struct prom_family *f = family_find(e, name, NULL);

	return f ? f->count : 0;
}

static const char *type_name(enum prom_type type)
{
	switch (type) {
	case PROM_GAUGE: return "gauge";
	case PROM_COUNTER: return "counter";
	case PROM_UNTYPED: break;
	}
	return "untyped";
}

/* HELP text escapes only backslash and newline (the format's rule). */
static int render_help(struct strbuf *out, const char *help)
{
	int err = 0;

	for (; *help && !err; help++) {
		if (*help == '\\')
			err = strbuf_puts(out, "\\\\");
		else if (*help == '\n')
			err = strbuf_puts(out, "\\n");
		else
			err = strbuf_append(out, help, 1);
	}
	return err;
}

/* The shortest of %.15g..%.17g that reads back as the same double: integers
 * (bytes, counts) print as integers, 0.1 as 0.1. */
static int render_value(struct strbuf *out, double v)
{
	char text[32];
	int precision;

	if (isnan(v))
		return strbuf_puts(out, "NaN");
	if (isinf(v))
		return strbuf_puts(out, v > 0 ? "+Inf" : "-Inf");
	for (precision = 15; precision < 17; precision++) {
		snprintf(text, sizeof(text), "%.*g", precision, v);
		if (strtod(text, NULL) == v)
			break;
	}
	if (precision == 17)
		snprintf(text, sizeof(text), "%.17g", v);
	return strbuf_puts(out, text);
}

int prom_render(const struct prom_exposition *e, struct strbuf *out)
{
	size_t i, j;
	int err = 0;

	for (i = 0; i < e->nfamilies && !err; i++) {
		const struct prom_family *f = &e->families[i];

		if (f->head == NO_INDEX)
			continue;
		err = strbuf_printf(out, "# HELP %s ", f->name);
		if (!err)
			err = render_help(out, f->help);
		if (!err)
			err = strbuf_printf(out, "\n# TYPE %s %s\n", f->name, type_name(f->type));
		for (j = f->head; j != NO_INDEX && !err; j = e->series[j].next_in_family) {
			err = strbuf_printf(out, "%s%s ", f->name, e->series[j].labels);
			if (!err)
				err = render_value(out, e->series[j].value);
			if (!err)
				err = strbuf_puts(out, "\n");
		}
	}
	return err;
}
