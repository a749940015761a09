/* SPDX-License-Identifier: MIT */
/*
 * prefault.c - the code pages of the modules with instrumented code, and of
 * the runtime itself, made resident when the runtime meets them (a unit's
 * __mprof_bind, the runtime's start), before any line runs.
 *
 * Instrumented code is several times the size of the plain build's (SQLite's
 * speedtest1 built with -fplugin-arg-mprof-all: 10 MB of text against 1 MB),
 * and its pages come in from the file as they first run: page faults the
 * resident set counts, up to 16 pages at a time with the kernel's
 * fault-around.  Left to fault on demand, the rss backend charged them to the
 * lines that happened to run new code -- several MiB on a line that
 * allocates nothing in the plain build (docs/lines.md, "How these tables
 * differ from the plugin's").  Reading one byte per page of each
 * executable segment maps them all at once.  Data is left alone: the
 * sites' tables are written by the dynamic linker's relocations before
 * main, and a program's own large read-only data is its own memory, read
 * when the program reads it.  Each module is done once, the first time
 * one of its addresses comes here.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <link.h>
#include <stdint.h>
#include <sys/auxv.h>

#include "internal.h"

/* Modules done (their load bias); beyond this, later ones are not done. */
#define MAX_DONE	256

struct want {
	uintptr_t addr;		/* an address inside the module */
};

static uintptr_t done[MAX_DONE];
static unsigned ndone;

static int contains(const struct dl_phdr_info *info, uintptr_t a)
{
	int i;

	for (i = 0; i < info->dlpi_phnum; i++) {
		const ElfW(Phdr) *ph = &info->dlpi_phdr[i];
		uintptr_t lo = info->dlpi_addr + ph->p_vaddr;

		if (ph->p_type == PT_LOAD && a >= lo && a < lo + ph->p_memsz)
			return 1;
	}
	return 0;
}

/*
 * dl_iterate_phdr callback: read a byte of every page of the executable,
 * readable segments of the module holding w->addr.  ld.so's
 * lock serialises the callbacks, which makes `done` safe.
 */
static int touch_module(struct dl_phdr_info *info, size_t size, void *data)
{
	const struct want *w = data;
	uintptr_t page = getauxval(AT_PAGESZ);
	volatile const char *p;
	unsigned i;
	int k;

	(void)size;
	if (!contains(info, w->addr))
		return 0;
	for (i = 0; i < ndone; i++)
		if (done[i] == info->dlpi_addr)
			return 1;
	if (ndone == MAX_DONE)
		return 1;
	done[ndone++] = info->dlpi_addr;
	if (!page)
		page = 4096;
	for (k = 0; k < info->dlpi_phnum; k++) {
		const ElfW(Phdr) *ph = &info->dlpi_phdr[k];
		uintptr_t lo = info->dlpi_addr + ph->p_vaddr, hi;

		if (ph->p_type != PT_LOAD || (ph->p_flags & (PF_R | PF_X)) !=
		    (PF_R | PF_X) || !ph->p_filesz)
			continue;
		hi = lo + ph->p_filesz;
		for (lo &= ~(page - 1); lo < hi; lo += page) {
			p = (volatile const char *)lo;
			(void)*p;
		}
	}
	return 1;
}

void mp_prefault_module(const void *addr)
{
	struct want w = { (uintptr_t)addr };
	int saved = errno;

	dl_iterate_phdr(touch_module, &w);
	errno = saved;
}
