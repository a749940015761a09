/* SPDX-License-Identifier: MIT */
/*
 * html_out.c - where the HTML report goes (html.h): the directory, the
 * temporary files renamed into place at the end or removed on failure,
 * and HTML escaping.  html.c writes the pages.
 *
 * Temporary names are DIR/.mprof-<pid>-<name>: hidden, unique to this
 * process, and ending as the final name does (the SVG drawer chooses its
 * format by the extension).
 */
#define _GNU_SOURCE
#include "html.h"

#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

struct staged {
	char *tmp;		/* DIR/.mprof-<pid>-<name> */
	char *final;		/* DIR/<name> */
};

struct mp_html_dir {
	char *dir;
	int created;		/* mp_html_open made dir */
	struct staged *files;
	size_t n, cap;
};

static int __attribute__((format(printf, 3, 4)))
say(char *err, size_t errlen, const char *fmt, ...)
{
	va_list ap;

	if (errlen) {
		va_start(ap, fmt);
		vsnprintf(err, errlen, fmt, ap);
		va_end(ap);
	}
	return -1;
}

struct mp_html_dir *mp_html_open(const char *dir, char *err, size_t errlen)
{
	struct mp_html_dir *d;
	struct stat st;
	int created = 0;

	if (stat(dir, &st) == 0) {
		if (!S_ISDIR(st.st_mode)) {
			say(err, errlen, "'%s' is not a directory", dir);
			return NULL;
		}
	} else if (errno != ENOENT || mkdir(dir, 0777) != 0) {
		say(err, errlen, "cannot create directory '%s': %s", dir,
		    strerror(errno));
		return NULL;
	} else {
		created = 1;
	}
	d = calloc(1, sizeof *d);
	if (d)
		d->dir = strdup(dir);
	if (!d || !d->dir) {
		free(d);
		if (created)
			rmdir(dir);
		say(err, errlen, "%s", strerror(ENOMEM));
		return NULL;
	}
	d->created = created;
	return d;
}

const char *mp_html_stage(struct mp_html_dir *d, const char *name,
			  char *err, size_t errlen)
{
	struct staged *s;
	int fd;

	if (d->n == d->cap) {
		size_t cap = d->cap ? d->cap * 2 : 16;

		s = realloc(d->files, cap * sizeof *s);
		if (!s) {
			say(err, errlen, "%s", strerror(ENOMEM));
			return NULL;
		}
		d->files = s;
		d->cap = cap;
	}
	s = &d->files[d->n];
	if (asprintf(&s->tmp, "%s/.mprof-%ld-%s", d->dir, (long)getpid(),
		     name) < 0) {
		say(err, errlen, "%s", strerror(ENOMEM));
		return NULL;
	}
	if (asprintf(&s->final, "%s/%s", d->dir, name) < 0) {
		free(s->tmp);
		say(err, errlen, "%s", strerror(ENOMEM));
		return NULL;
	}
	/* A name left by a killed process with our pid is stale: replace it. */
	fd = open(s->tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0666);
	if (fd < 0) {
		say(err, errlen, "cannot write '%s': %s", s->final,
		    strerror(errno));
		free(s->tmp);
		free(s->final);
		return NULL;
	}
	close(fd);
	d->n++;
	return s->tmp;
}

static void release(struct mp_html_dir *d)
{
	size_t i;

	for (i = 0; i < d->n; i++) {
		free(d->files[i].tmp);
		free(d->files[i].final);
	}
	free(d->files);
	free(d->dir);
	free(d);
}

void mp_html_abort(struct mp_html_dir *d)
{
	size_t i;

	if (!d)
		return;
	for (i = 0; i < d->n; i++)
		unlink(d->files[i].tmp);
	if (d->created)
		rmdir(d->dir);
	release(d);
}

/*
 * Renames cannot be undone once a file has replaced an older report's,
 * but they do not fail in practice once every file is written: same
 * directory, names we just created.
 */
int mp_html_commit(struct mp_html_dir *d, char *err, size_t errlen)
{
	size_t i;

	for (i = 0; i < d->n; i++) {
		if (rename(d->files[i].tmp, d->files[i].final) != 0) {
			say(err, errlen, "cannot write '%s': %s",
			    d->files[i].final, strerror(errno));
			/* the ones already renamed are this report's: remove */
			while (i-- > 0)
				unlink(d->files[i].final);
			mp_html_abort(d);
			return -1;
		}
	}
	release(d);
	return 0;
}

/* Bytes that need an entity or a picture; others are copied in runs. */
static int special(unsigned char c)
{
	return c == '&' || c == '<' || c == '>' || c == '"' || c == '\'' ||
	       (c < 0x20 && c != '\t' && c != '\n') || c == 0x7f;
}

int mp_html_escape(FILE *out, const char *s, size_t len)
{
	size_t i = 0, run;
	char pic[4];

	while (i < len) {
		for (run = i; run < len && !special((unsigned char)s[run]); run++)
			;
		if (run > i && fwrite(s + i, 1, run - i, out) != run - i)
			return -1;
		if (run == len)
			break;
		switch (s[run]) {
		case '&': fputs("&amp;", out); break;
		case '<': fputs("&lt;", out); break;
		case '>': fputs("&gt;", out); break;
		case '"': fputs("&quot;", out); break;
		case '\'': fputs("&#39;", out); break;
		default: {
			/* U+2400 + c, or U+2421 for DEL: E2 90 80+c / E2 90 A1 */
			unsigned char c = (unsigned char)s[run];

			pic[0] = (char)0xe2;
			pic[1] = (char)0x90;
			pic[2] = (char)(c == 0x7f ? 0xa1 : 0x80 + c);
			fwrite(pic, 1, 3, out);
		}
		}
		i = run + 1;
	}
	return ferror(out) ? -1 : 0;
}
