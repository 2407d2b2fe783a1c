/* The one JSON writer: streaming, with commas and nesting handled here and
 * every control byte escaped (cache names, comm and paths can hold anything;
 * bytes that are not valid UTF-8 are written as \u00XX of their value). */
#ifndef POOLSCOPE_OUTPUT_JSON_H
#define POOLSCOPE_OUTPUT_JSON_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

struct json_writer;

struct json_writer *json_writer_new(FILE *out);
/* Frees the writer (not the FILE). Accepts NULL. */
void json_writer_free(struct json_writer *w);

void json_begin_object(struct json_writer *w);
void json_end_object(struct json_writer *w);
void json_begin_array(struct json_writer *w);
void json_end_array(struct json_writer *w);
void json_key(struct json_writer *w, const char *key);
void json_string(struct json_writer *w, const char *s); /* NULL writes null */
void json_string_n(struct json_writer *w, const char *s, size_t n);
void json_int(struct json_writer *w, int64_t v);
void json_uint(struct json_writer *w, uint64_t v);
void json_double(struct json_writer *w, double v); /* NaN/inf become null */
void json_bool(struct json_writer *w, bool v);
void json_null(struct json_writer *w);
/* A value already rendered as JSON by this writer elsewhere. */
void json_raw(struct json_writer *w, const char *json);

/* Shorthands for "key": value inside an object. */
void json_kv_string(struct json_writer *w, const char *key, const char *s);
void json_kv_int(struct json_writer *w, const char *key, int64_t v);
void json_kv_uint(struct json_writer *w, const char *key, uint64_t v);
void json_kv_double(struct json_writer *w, const char *key, double v);
void json_kv_bool(struct json_writer *w, const char *key, bool v);

/* Escape s (n bytes) as a JSON string literal, quotes included, onto out. */
void json_escape(FILE *out, const char *s, size_t n);

#endif
