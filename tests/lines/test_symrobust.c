/* SPDX-License-Identifier: MIT */
/*
 * test_symrobust.c - the symbolizer with bad or missing input: mappings
 * replaced, split, forked and forgotten (module-only frames of files that
 * do not exist show which mapping answered); objects that cannot be read;
 * and libraries truncated, or with bytes changed at random in their DWARF
 * or ELF headers, symbols and notes, which must give frames with less in
 * them, never a crash.
 */
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <elf.h>
#include <cmocka.h>

#include "symbolize.h"

/* The one frame of addr of pid must be module at offset. */
static void expect(struct mp_sym *s, uint32_t pid, uint64_t addr, const char *module, uint64_t offset)
{
	struct mp_sym_frame f[4];
	int n = mp_sym_lookup(s, pid, addr, f, 4);

	if (!module) {
		assert_int_equal(n, 0);
		return;
	}
	assert_int_equal(n, 1);
	assert_string_equal(f[0].module, module);
	assert_int_equal(f[0].offset, offset);
	assert_null(f[0].func);
	assert_null(f[0].file);
	assert_int_equal(f[0].line, 0);
	assert_string_equal(f[0].dir, "");
	assert_false(mp_sym_has_lines(s, pid, addr));
}

/* A later mapping replaces the part of earlier ones it covers; an
 * anonymous one only removes; pids are apart. */
static void mappings(void **state)
{
	struct mp_sym *s = mp_sym_new();

	(void)state;
	mp_sym_map(s, 1, 0x1000, 0x5000, 0, "/nonexistent/a.so");
	mp_sym_map(s, 1, 0x9000, 0x8000, 0, "/nonexistent/backwards.so");
	expect(s, 1, 0xfff, NULL, 0);
	expect(s, 1, 0x1000, "/nonexistent/a.so", 0);
	expect(s, 1, 0x4fff, "/nonexistent/a.so", 0x3fff);
	expect(s, 1, 0x5000, NULL, 0);
	expect(s, 1, 0x8800, NULL, 0);
	expect(s, 2, 0x2000, NULL, 0);
	mp_sym_map(s, 1, 0x2000, 0x3000, 0x7000, "/nonexistent/b.so");
	expect(s, 1, 0x1800, "/nonexistent/a.so", 0x800);
	expect(s, 1, 0x2800, "/nonexistent/b.so", 0x7800);
	expect(s, 1, 0x3800, "/nonexistent/a.so", 0x2800);
	mp_sym_map(s, 1, 0x1000, 0x1800, 0, "");
	mp_sym_map(s, 1, 0x4000, 0x6000, 0, "[heap]");
	expect(s, 1, 0x1000, NULL, 0);
	expect(s, 1, 0x1800, "/nonexistent/a.so", 0x800);
	expect(s, 1, 0x3fff, "/nonexistent/a.so", 0x2fff);
	expect(s, 1, 0x4000, NULL, 0);
	mp_sym_free(s);
}

/* fork copies a pid's mappings to another (whatever its number), exec
 * forgets them. */
static void fork_exec(void **state)
{
	struct mp_sym *s = mp_sym_new();

	(void)state;
	mp_sym_map(s, 10, 0x1000, 0x2000, 0, "/nonexistent/a.so");
	mp_sym_map(s, 10, 0x3000, 0x4000, 0x1000, "/nonexistent/b.so");
	mp_sym_map(s, 5, 0x1000, 0x2000, 0, "/nonexistent/old.so");
	mp_sym_fork(s, 10, 5);
	mp_sym_fork(s, 10, 20);
	for (int i = 0; i < 3; i++) {
		uint32_t pid = (uint32_t[]){ 5, 10, 20 }[i];

		expect(s, pid, 0x1800, "/nonexistent/a.so", 0x800);
		expect(s, pid, 0x3800, "/nonexistent/b.so", 0x1800);
	}
	expect(s, 15, 0x1800, NULL, 0);
	mp_sym_fork(s, 10, 10);
	expect(s, 10, 0x1800, "/nonexistent/a.so", 0x800);
	mp_sym_exec(s, 10);
	expect(s, 10, 0x1800, NULL, 0);
	expect(s, 5, 0x1800, "/nonexistent/a.so", 0x800);
	expect(s, 20, 0x3800, "/nonexistent/b.so", 0x1800);
	assert_int_equal(mp_sym_read_maps(s, UINT32_MAX), -1);
	mp_sym_free(s);
}

/* Files that are not ELF objects (a directory, a text file, an empty
 * file) answer with their name and the file offset. */
static void not_elf(void **state)
{
	struct mp_sym *s = mp_sym_new();
	char path[] = "/tmp/mprof-symrobust-XXXXXX";
	int fd = mkstemp(path);

	(void)state;
	assert_true(fd >= 0);
	mp_sym_map(s, 1, 0x1000, 0x2000, 0x3000, path);
	expect(s, 1, 0x1010, path, 0x3010);
	assert_int_equal(write(fd, "hello, world\n", 13), 13);
	mp_sym_map(s, 1, 0x5000, 0x6000, 0, "/tmp");
	expect(s, 1, 0x5010, "/tmp", 0x10);
	close(fd);
	unlink(path);
	mp_sym_free(s);
}

/* With SIGCHLD ignored the DWARF reader's exit status is gone: its
 * records alone count.  A chain longer than max is cut at max frames,
 * innermost first. */
static void sigchld_ignored(void **state)
{
	const char *lib = LIBDIR "/libsym_shared.so";
	struct mp_sym *s = mp_sym_new();
	struct mp_sym_frame f[16], one;
	void (*old)(int) = signal(SIGCHLD, SIG_IGN);
	uint64_t a;
	int n = 0;

	(void)state;
	for (a = 0x1000; a < 0x3000 && n < 3; a++)
		n = mp_sym_lookup_file(s, lib, a, f, 16);
	signal(SIGCHLD, old);
	assert_int_equal(n, 3);
	assert_int_equal(mp_sym_lookup_file(s, lib, a - 1, &one, 1), 1);
	assert_string_equal(one.func, f[0].func);
	assert_int_equal(one.line, f[0].line);
	mp_sym_free(s);
}

/* The library file, its size and its sections. */
struct lib {
	unsigned char *bytes;
	size_t size;
	const Elf64_Shdr *sh;
	size_t nsh;
	const char *names;
};

static void read_lib(struct lib *l, const char *path)
{
	FILE *f = fopen(path, "rb");
	const Elf64_Ehdr *eh;

	assert_non_null(f);
	fseek(f, 0, SEEK_END);
	l->size = ftell(f);
	rewind(f);
	l->bytes = malloc(l->size);
	assert_int_equal(fread(l->bytes, 1, l->size, f), l->size);
	fclose(f);
	eh = (const Elf64_Ehdr *)l->bytes;
	l->sh = (const Elf64_Shdr *)(l->bytes + eh->e_shoff);
	l->nsh = eh->e_shnum;
	l->names = (const char *)l->bytes + l->sh[eh->e_shstrndx].sh_offset;
}

static void write_file(const char *path, const unsigned char *bytes, size_t size)
{
	FILE *f = fopen(path, "wb");

	assert_non_null(f);
	assert_int_equal(fwrite(bytes, 1, size, f), size);
	fclose(f);
}

/* Where in the file a round damages: a section by name, or one of the
 * ELF header tables. */
static void region(const struct lib *l, const char *name, uint64_t *off, uint64_t *size)
{
	const Elf64_Ehdr *eh = (const Elf64_Ehdr *)l->bytes;

	*off = *size = 0;
	if (!strcmp(name, "elf header")) {
		*size = sizeof(*eh);
	} else if (!strcmp(name, "program headers")) {
		*off = eh->e_phoff;
		*size = (uint64_t)eh->e_phnum * eh->e_phentsize;
	} else if (!strcmp(name, "section headers")) {
		*off = eh->e_shoff;
		*size = (uint64_t)eh->e_shnum * eh->e_shentsize;
	} else {
		for (size_t i = 0; i < l->nsh; i++)
			if (!strcmp(l->names + l->sh[i].sh_name, name) && l->sh[i].sh_type != SHT_NOBITS) {
				*off = l->sh[i].sh_offset;
				*size = l->sh[i].sh_size;
			}
	}
}

/* Truncated files and files with random bytes changed in their DWARF or
 * their ELF headers, symbols and notes: lookups of the function's
 * addresses, through a mapping or in the file, give one frame or more,
 * naming the module. */
static void corrupt(void **state)
{
	static const char *const regions[] = {
		".debug_info", ".debug_abbrev", ".debug_line", ".debug_str",
		".debug_rnglists", ".debug_ranges", ".debug_line_str",
		"elf header", "program headers", "section headers", ".dynsym",
		".dynstr", ".symtab", ".strtab", ".shstrtab", ".note.gnu.build-id",
	};
	enum { NREGIONS = sizeof(regions) / sizeof(regions[0]), BASE = 0x7f0000000000 };
	const char *libs[] = { LIBDIR "/libsym_shared.so", LIBDIR "/libsym_plug.so" };
	char path[] = "/tmp/mprof-symrobust-XXXXXX";
	int fd = mkstemp(path);
	unsigned seed = 1;

	(void)state;
	assert_true(fd >= 0);
	close(fd);
	for (int li = 0; li < 2; li++) {
		struct mp_sym *good = mp_sym_new();
		struct mp_sym_frame f[16];
		uint64_t lo = 0, addrs[8];
		struct lib l;

		read_lib(&l, libs[li]);
		/* the function's addresses, from the intact library */
		for (uint64_t a = 0x1000; a < 0x3000 && !lo; a += 4)
			if (mp_sym_lookup_file(good, libs[li], a, f, 16) > 1)
				lo = a;
		assert_true(lo != 0);
		for (int i = 0; i < 8; i++)
			addrs[i] = lo + i * 16;
		mp_sym_free(good);
		for (int round = 0; round < 20 * NREGIONS; round++) {
			unsigned char *bytes = malloc(l.size);
			struct mp_sym *s = mp_sym_new();
			size_t size = l.size;
			uint64_t off, len;

			region(&l, regions[round % NREGIONS], &off, &len);
			if (!len || off + len > l.size) {
				free(bytes);
				mp_sym_free(s);
				continue;
			}
			memcpy(bytes, l.bytes, l.size);
			if (round % 3 == 0) {
				size = off + rand_r(&seed) % len;
			} else {
				for (int k = 0; k < 1 + round % 16; k++)
					bytes[off + rand_r(&seed) % len] = rand_r(&seed);
			}
			write_file(path, bytes, size);
			mp_sym_map(s, 1, BASE, BASE + l.size, 0, path);
			for (int i = 0; i < 8; i++) {
				assert_true(mp_sym_lookup(s, 1, BASE + addrs[i], f, 16) >= 1);
				assert_string_equal(f[0].module, path);
				assert_true(mp_sym_lookup_file(s, path, addrs[i], f, 16) >= 1);
				assert_string_equal(f[0].module, path);
				mp_sym_has_lines(s, 1, BASE + addrs[i]);
			}
			mp_sym_free(s);
			free(bytes);
		}
		free(l.bytes);
	}
	unlink(path);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(mappings),
		cmocka_unit_test(fork_exec),
		cmocka_unit_test(not_elf),
		cmocka_unit_test(sigchld_ignored),
		cmocka_unit_test(corrupt),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
