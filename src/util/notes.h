/* Notes: what a library function wants the user to know (a source that could
 * not be read, a feature this kernel lacks, malformed lines skipped) without
 * printing it. Libraries append notes; the command decides what is shown, and
 * how often (once per run for `top`, once per state change for a daemon).
 * Each note has a short stable key ("slabinfo-malformed", "counters-off") so
 * a caller can tell a recurring condition from a new one. */
#ifndef POOLSCOPE_UTIL_NOTES_H
#define POOLSCOPE_UTIL_NOTES_H

#include <stdbool.h>
#include <stddef.h>

#define NOTE_KEY_MAX 48
#define NOTE_TEXT_MAX 384

struct note {
	char key[NOTE_KEY_MAX];
	char text[NOTE_TEXT_MAX]; /* one sentence, no trailing newline */
};

struct notes {
	struct note *v; /* owned */
	size_t n, cap;
};

#define NOTES_INIT { NULL, 0, 0 }

/* Append a note. A note with the same key already in ns is replaced, so a
 * reader called every second leaves one note per condition, not thousands.
 * Out of memory drops the note (notes are advisory): returns -ENOMEM. */
int notes_add(struct notes *ns, const char *key, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
/* The note with this key, or NULL. */
const struct note *notes_find(const struct notes *ns, const char *key);
/* Append (or replace by key) every note of src into dst. */
void notes_add_all(struct notes *dst, const struct notes *src);
/* Forget every note, keep the memory (a sampler clears per sample). */
void notes_clear(struct notes *ns);
void notes_release(struct notes *ns);

#endif
