/* SPDX-License-Identifier: MIT */
/*
 * elf_obj.c - the few ELF facts the symbolizer needs, read straight from
 * the file with <elf.h>: PT_LOAD segments (file offset to virtual address),
 * the GNU build id and .gnu_debuglink name (to find a separate debug file),
 * whether DWARF is present, and function symbols from .symtab, or .dynsym
 * for a stripped object.  Every offset and size is checked against the
 * file's size: a truncated or corrupt file gives less, never a crash.
 */
#include <elf.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "symbolize_internal.h"

/* The mapped file. */
struct image {
	const unsigned char *p;
	size_t size;
};

/* True when [off, off + len) lies inside the file. */
static bool inside(const struct image *im, uint64_t off, uint64_t len)
{
	return off <= im->size && len <= im->size - off;
}

static int by_lo(const void *a, const void *b)
{
	const struct mp_elf_sym *x = a, *y = b;

	if (x->lo != y->lo)
		return x->lo < y->lo ? -1 : 1;
	return x->size > y->size ? -1 : x->size < y->size;
}

/* Append the function symbols of symbol table sh (with its string table)
 * to e->syms. */
static void read_syms(const struct image *im, const Elf64_Shdr *sh,
		      const Elf64_Shdr *strsh, struct mp_elf *e, struct mp_strs *strs)
{
	size_t n, k = 0;

	if (sh->sh_entsize != sizeof(Elf64_Sym) || !inside(im, sh->sh_offset, sh->sh_size) ||
	    strsh->sh_type == SHT_NOBITS || !inside(im, strsh->sh_offset, strsh->sh_size))
		return;
	n = sh->sh_size / sizeof(Elf64_Sym);
	e->syms = calloc(n ? n : 1, sizeof(*e->syms));
	if (!e->syms)
		return;
	for (size_t i = 0; i < n; i++) {
		Elf64_Sym sym;
		const char *name;
		int type;

		memcpy(&sym, im->p + sh->sh_offset + i * sizeof(sym), sizeof(sym));
		type = ELF64_ST_TYPE(sym.st_info);
		if ((type != STT_FUNC && type != STT_GNU_IFUNC) || sym.st_shndx == SHN_UNDEF ||
		    sym.st_name >= strsh->sh_size)
			continue;
		name = (const char *)im->p + strsh->sh_offset + sym.st_name;
		if (!memchr(name, 0, strsh->sh_size - sym.st_name))
			continue;
		e->syms[k].lo = sym.st_value;
		e->syms[k].size = sym.st_size;
		e->syms[k].name = mp_strs_intern(strs, name);
		if (e->syms[k].name)
			k++;
	}
	e->nsyms = k;
	qsort(e->syms, k, sizeof(*e->syms), by_lo);
}

/* The NT_GNU_BUILD_ID note among the notes at [off, off + size). */
static void read_notes(const struct image *im, uint64_t off, uint64_t size, struct mp_elf *e)
{
	uint64_t end = off + size;

	if (!inside(im, off, size))
		return;
	while (off + sizeof(Elf64_Nhdr) <= end) {
		Elf64_Nhdr nh;
		uint64_t name, desc;

		memcpy(&nh, im->p + off, sizeof(nh));
		name = off + sizeof(nh);
		desc = name + ((nh.n_namesz + 3) & ~3u);
		if (desc > end || nh.n_descsz > end - desc)
			return;
		if (nh.n_type == NT_GNU_BUILD_ID && nh.n_namesz == 4 &&
		    !memcmp(im->p + name, "GNU", 4) && nh.n_descsz <= sizeof(e->build_id)) {
			memcpy(e->build_id, im->p + desc, nh.n_descsz);
			e->build_id_len = nh.n_descsz;
			return;
		}
		off = desc + ((nh.n_descsz + 3) & ~3u);
	}
}

/* Segments and notes from the program headers. */
static void read_phdrs(const struct image *im, const Elf64_Ehdr *eh, struct mp_elf *e)
{
	if (eh->e_phentsize != sizeof(Elf64_Phdr) ||
	    !inside(im, eh->e_phoff, (uint64_t)eh->e_phnum * sizeof(Elf64_Phdr)))
		return;
	e->segs = calloc(eh->e_phnum ? eh->e_phnum : 1, sizeof(*e->segs));
	if (!e->segs)
		return;
	for (size_t i = 0; i < eh->e_phnum; i++) {
		Elf64_Phdr ph;

		memcpy(&ph, im->p + eh->e_phoff + i * sizeof(ph), sizeof(ph));
		if (ph.p_type == PT_LOAD) {
			e->segs[e->nsegs].off = ph.p_offset;
			e->segs[e->nsegs].filesz = ph.p_filesz;
			e->segs[e->nsegs++].vaddr = ph.p_vaddr;
		} else if (ph.p_type == PT_NOTE && !e->build_id_len) {
			read_notes(im, ph.p_offset, ph.p_filesz, e);
		}
	}
}

/* Sections: DWARF presence, debuglink, notes (for debug files, whose
 * program headers point at nothing) and symbols. */
static void read_shdrs(const struct image *im, const Elf64_Ehdr *eh, struct mp_elf *e,
		       struct mp_strs *strs)
{
	const Elf64_Shdr *sh, *names, *symtab = NULL, *dynsym = NULL;
	Elf64_Shdr *copy;
	bool info = false, line = false;

	if (eh->e_shentsize != sizeof(Elf64_Shdr) || eh->e_shstrndx >= eh->e_shnum ||
	    !inside(im, eh->e_shoff, (uint64_t)eh->e_shnum * sizeof(Elf64_Shdr)))
		return;
	/* Copy for alignment: the file may place the table anywhere. */
	copy = malloc((size_t)eh->e_shnum * sizeof(*copy));
	if (!copy)
		return;
	memcpy(copy, im->p + eh->e_shoff, (size_t)eh->e_shnum * sizeof(*copy));
	names = &copy[eh->e_shstrndx];
	if (!inside(im, names->sh_offset, names->sh_size))
		goto out;
	for (size_t i = 0; i < eh->e_shnum; i++) {
		const char *name;
		bool data;

		sh = &copy[i];
		if (sh->sh_name >= names->sh_size)
			continue;
		name = (const char *)im->p + names->sh_offset + sh->sh_name;
		if (!memchr(name, 0, names->sh_size - sh->sh_name))
			continue;
		data = sh->sh_type != SHT_NOBITS && sh->sh_size > 0 &&
		       inside(im, sh->sh_offset, sh->sh_size);
		if (!strcmp(name, ".debug_info") || !strcmp(name, ".zdebug_info"))
			info |= data;
		else if (!strcmp(name, ".debug_line") || !strcmp(name, ".zdebug_line"))
			line |= data;
		else if (!strcmp(name, ".gnu_debuglink") && data) {
			size_t n = strnlen((const char *)im->p + sh->sh_offset, sh->sh_size);

			if (n < sh->sh_size && n < sizeof(e->debuglink))
				memcpy(e->debuglink, im->p + sh->sh_offset, n + 1);
		} else if (sh->sh_type == SHT_NOTE && data && !e->build_id_len)
			read_notes(im, sh->sh_offset, sh->sh_size, e);
		else if (sh->sh_type == SHT_SYMTAB && data && sh->sh_link < eh->e_shnum)
			symtab = sh;
		else if (sh->sh_type == SHT_DYNSYM && data && sh->sh_link < eh->e_shnum)
			dynsym = sh;
	}
	e->has_dwarf = info && line;
	if (symtab)
		read_syms(im, symtab, &copy[symtab->sh_link], e, strs);
	e->syms_from_symtab = e->nsyms > 0;
	if (!e->nsyms && dynsym) {
		free(e->syms);
		e->syms = NULL;
		read_syms(im, dynsym, &copy[dynsym->sh_link], e, strs);
	}
out:
	free(copy);
}

int mp_elf_read(const char *path, struct mp_elf *e, struct mp_strs *strs)
{
	struct image im;
	struct stat st;
	Elf64_Ehdr eh;
	void *p;
	int fd;

	memset(e, 0, sizeof(*e));
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -1;
	if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode) || (size_t)st.st_size < sizeof(eh)) {
		close(fd);
		return -1;
	}
	p = mmap(NULL, st.st_size, PROT_READ, MAP_PRIVATE, fd, 0);
	close(fd);
	if (p == MAP_FAILED)
		return -1;
	im.p = p;
	im.size = st.st_size;
	memcpy(&eh, im.p, sizeof(eh));
	if (memcmp(eh.e_ident, ELFMAG, SELFMAG) || eh.e_ident[EI_CLASS] != ELFCLASS64 ||
	    eh.e_ident[EI_DATA] != (__BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__ ? ELFDATA2LSB : ELFDATA2MSB)) {
		munmap(p, st.st_size);
		return -1;
	}
	read_phdrs(&im, &eh, e);
	read_shdrs(&im, &eh, e, strs);
	munmap(p, st.st_size);
	return 0;
}

void mp_elf_free(struct mp_elf *e)
{
	free(e->segs);
	free(e->syms);
	memset(e, 0, sizeof(*e));
}

const struct mp_elf_sym *mp_elf_sym_at(const struct mp_elf *e, uint64_t vaddr)
{
	/* The last symbol starting at or before vaddr (taken as reaching up to
	 * the next one when its size is 0, like _init), else the few before it
	 * in case vaddr is in a symbol that other symbols start inside. */
	size_t lo = mp_sym_count_le(e->syms, e->nsyms, sizeof(*e->syms), vaddr);

	for (size_t i = lo, tries = 0; i-- > 0 && tries < 8; tries++) {
		const struct mp_elf_sym *sym = &e->syms[i];

		if (vaddr - sym->lo < sym->size || (!tries && !sym->size))
			return sym;
	}
	return NULL;
}

bool mp_elf_off_to_vaddr(const struct mp_elf *e, uint64_t off, uint64_t *vaddr)
{
	for (size_t i = 0; i < e->nsegs; i++) {
		const struct mp_elf_seg *sg = &e->segs[i];

		if (off >= sg->off && off - sg->off < sg->filesz) {
			*vaddr = off - sg->off + sg->vaddr;
			return true;
		}
	}
	return false;
}
