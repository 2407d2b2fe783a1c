/* /proc/kallsyms into a symbol table. The parsing is util/symtab's: the same
 * text format is stored in traces and captured as fixtures. */
#include "kernel/ksyms.h"

#include <errno.h>
#include <fcntl.h>
#include <string.h>

#include "util/notes.h"
#include "util/procfs.h"
#include "util/strbuf.h"

int ksyms__load(struct symtab **out, struct notes *notes)
{
	struct strbuf text = STRBUF_INIT;
	int err;

	*out = NULL;
	err = procfs_read(AT_FDCWD, "/proc/kallsyms", &text);
	if (err) {
		if (notes)
			notes_add(notes, "kallsyms-read", "cannot read /proc/kallsyms: %s",
				  strerror(-err));
		goto out;
	}
	err = symtab__parse(strbuf_str(&text), text.len, out, notes);
out:
	strbuf_release(&text);
	return err;
}
