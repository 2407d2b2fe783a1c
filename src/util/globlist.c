#include "util/globlist.h"

#include <errno.h>
#include <fnmatch.h>
#include <stdlib.h>
#include <string.h>

int globlist_add(struct globlist *gl, const char *spec)
{
	const char *p = spec;

	if (!spec || !*spec)
		return -EINVAL;
	while (*p) {
		size_t n = strcspn(p, ",");
		char **grown;
		char *pat;

		if (n == 0 || (n == 1 && *p == '!'))
			return -EINVAL;
		pat = strndup(p, n);
		grown = realloc(gl->patterns, sizeof(*grown) * (size_t)(gl->count + 1));
		if (!pat || !grown) {
			free(pat);
			if (grown)
				gl->patterns = grown;
			return -ENOMEM;
		}
		gl->patterns = grown;
		gl->patterns[gl->count++] = pat;
		if (pat[0] != '!')
			gl->includes++;
		p += n;
		if (*p == ',')
			p++;
	}
	return 0;
}

bool globlist_match(const struct globlist *gl, const char *name)
{
	bool included = gl->includes == 0;
	int i;

	for (i = 0; i < gl->count; i++) {
		const char *pat = gl->patterns[i];

		if (pat[0] == '!') {
			if (fnmatch(pat + 1, name, 0) == 0)
				return false;
		} else if (!included && fnmatch(pat, name, 0) == 0) {
			included = true;
		}
	}
	return included;
}

bool globlist_empty(const struct globlist *gl)
{
	return gl->count == 0;
}

void globlist_clear(struct globlist *gl)
{
	int i;

	for (i = 0; i < gl->count; i++)
		free(gl->patterns[i]);
	free(gl->patterns);
	gl->patterns = NULL;
	gl->count = gl->includes = 0;
}
