#include "output/json.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "util/utf8.h"

#define JSON_MAX_DEPTH 64

struct json_writer {
	FILE *out;
	int depth;
	bool first[JSON_MAX_DEPTH]; /* nothing written yet at this level */
	bool after_key;
};

struct json_writer *json_writer_new(FILE *out)
{
	struct json_writer *w = calloc(1, sizeof(*w));

	if (!w)
		return NULL;
	w->out = out;
	w->first[0] = true;
	return w;
}

void json_writer_free(struct json_writer *w)
{
	free(w);
}

/* Comma before a value unless it follows a key or opens its container. */
static void before_value(struct json_writer *w)
{
	if (w->after_key) {
		w->after_key = false;
		return;
	}
	if (!w->first[w->depth])
		fputc(',', w->out);
	w->first[w->depth] = false;
}

static void open_container(struct json_writer *w, char c)
{
	before_value(w);
	fputc(c, w->out);
	if (w->depth + 1 < JSON_MAX_DEPTH)
		w->depth++;
	w->first[w->depth] = true;
}

static void close_container(struct json_writer *w, char c)
{
	fputc(c, w->out);
	if (w->depth > 0)
		w->depth--;
}

void json_begin_object(struct json_writer *w)
{
	open_container(w, '{');
}

void json_end_object(struct json_writer *w)
{
	close_container(w, '}');
}

void json_begin_array(struct json_writer *w)
{
	open_container(w, '[');
}

void json_end_array(struct json_writer *w)
{
	close_container(w, ']');
}

void json_escape(FILE *out, const char *str, size_t n)
{
	const unsigned char *s = (const unsigned char *)str;
	size_t i = 0;

	fputc('"', out);
	while (i < n) {
		unsigned char c = s[i];
		size_t len;

		switch (c) {
		case '"': fputs("\\\"", out); i++; continue;
		case '\\': fputs("\\\\", out); i++; continue;
		case '\n': fputs("\\n", out); i++; continue;
		case '\r': fputs("\\r", out); i++; continue;
		case '\t': fputs("\\t", out); i++; continue;
		case '\b': fputs("\\b", out); i++; continue;
		case '\f': fputs("\\f", out); i++; continue;
		default: break;
		}
		if (c < 0x20 || c == 0x7f) {
			fprintf(out, "\\u%04x", c);
			i++;
			continue;
		}
		len = utf8_seq_len(s + i, n - i);
		if (len == 0) {
			/* Not UTF-8: keep the byte's value visible, stay valid JSON. */
			fprintf(out, "\\u%04x", c);
			i++;
			continue;
		}
		fwrite(s + i, 1, len, out);
		i += len;
	}
	fputc('"', out);
}

void json_key(struct json_writer *w, const char *key)
{
	before_value(w);
	json_escape(w->out, key, strlen(key));
	fputc(':', w->out);
	w->after_key = true;
}

void json_string_n(struct json_writer *w, const char *s, size_t n)
{
	before_value(w);
	json_escape(w->out, s, n);
}

void json_string(struct json_writer *w, const char *s)
{
	if (!s) {
		json_null(w);
		return;
	}
	json_string_n(w, s, strlen(s));
}

void json_int(struct json_writer *w, int64_t v)
{
	before_value(w);
	fprintf(w->out, "%lld", (long long)v);
}

void json_uint(struct json_writer *w, uint64_t v)
{
	before_value(w);
	fprintf(w->out, "%llu", (unsigned long long)v);
}

void json_double(struct json_writer *w, double v)
{
	before_value(w);
	char buf[32];

	if (!isfinite(v)) {
		fputs("null", w->out);
		return;
	}
	/* Shortest of 15 or 17 significant digits that reads back exactly:
	 * 1464.87 rather than 1464.8699999999999. */
	snprintf(buf, sizeof(buf), "%.15g", v);
	if (strtod(buf, NULL) != v)
		snprintf(buf, sizeof(buf), "%.17g", v);
	fputs(buf, w->out);
}

void json_bool(struct json_writer *w, bool v)
{
	before_value(w);
	fputs(v ? "true" : "false", w->out);
}

void json_null(struct json_writer *w)
{
	before_value(w);
	fputs("null", w->out);
}

void json_raw(struct json_writer *w, const char *json)
{
	before_value(w);
	fputs(json, w->out);
}

void json_kv_string(struct json_writer *w, const char *key, const char *s)
{
	json_key(w, key);
	json_string(w, s);
}

void json_kv_int(struct json_writer *w, const char *key, int64_t v)
{
	json_key(w, key);
	json_int(w, v);
}

void json_kv_uint(struct json_writer *w, const char *key, uint64_t v)
{
	json_key(w, key);
	json_uint(w, v);
}

void json_kv_double(struct json_writer *w, const char *key, double v)
{
	json_key(w, key);
	json_double(w, v);
}

void json_kv_bool(struct json_writer *w, const char *key, bool v)
{
	json_key(w, key);
	json_bool(w, v);
}
