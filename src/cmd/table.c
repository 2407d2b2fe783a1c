#include <string.h>

#include "cmd/cmd.h"

const struct command *const commands[] = {
	&cmd_top,
	&cmd_handles,
	&cmd_record,
	&cmd_report,
	&cmd_diagnose,
	&cmd_watch,
	&cmd_history,
	&cmd_compare,
	NULL,
};

const struct command *command_find(const char *name, int *ambiguous)
{
	const struct command *match = NULL;
	size_t n = strlen(name);
	int i;

	*ambiguous = 0;
	if (n == 0)
		return NULL;
	for (i = 0; commands[i]; i++)
		if (strcmp(commands[i]->name, name) == 0)
			return commands[i];
	for (i = 0; commands[i]; i++) {
		if (strncmp(commands[i]->name, name, n) == 0) {
			if (match) {
				*ambiguous = 1;
				return NULL;
			}
			match = commands[i];
		}
	}
	return match;
}
