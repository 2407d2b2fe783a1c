#include "util/proc_select.h"

#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "util/parse.h"

static bool looks_numeric(const char *s)
{
	if (*s == '-')
		s++;
	return *s && strspn(s, "0123456789") == strlen(s);
}

int proc_select_add(struct proc_select *sel, const char *spec)
{
	char *copy = strdup(spec), *tok, *save = NULL;
	int err = 0, ntok = 0;

	if (!copy)
		return -ENOMEM;
	if (strstr(spec, ",,") || spec[0] == ',' || (*spec && spec[strlen(spec) - 1] == ','))
		err = -EINVAL;
	for (tok = err ? NULL : strtok_r(copy, ",", &save); tok; tok = strtok_r(NULL, ",", &save)) {
		uint64_t pid;

		ntok++;
		if (parse_u64_range(tok, 1, (1u << 30), &pid) == 0) {
			int *grown = realloc(sel->pids, (size_t)(sel->npids + 1) * sizeof(*grown));

			if (!grown) {
				err = -ENOMEM;
				break;
			}
			sel->pids = grown;
			sel->pids[sel->npids++] = (int)pid;
		} else if (looks_numeric(tok)) {
			err = -ERANGE;
			break;
		} else {
			err = globlist_add(&sel->names, tok);
			if (err)
				break;
		}
	}
	free(copy);
	return err ? err : ntok ? 0 : -EINVAL;
}

bool proc_select_empty(const struct proc_select *sel)
{
	return sel->npids == 0 && globlist_empty(&sel->names);
}

void proc_select_release(struct proc_select *sel)
{
	free(sel->pids);
	sel->pids = NULL;
	sel->npids = 0;
	globlist_clear(&sel->names);
}
