/* SPDX-License-Identifier: MIT */
/*
 * realloc_null.c - the pattern -Wuse-after-free knows to be safe: the
 * result of realloc stored, tested for NULL, the old pointer kept on
 * failure.  A probe call between the store and the test, which to GCC
 * clobbered all escaped memory, made it reload x->p and lose the pattern:
 * one warning at -O1 and above, none plain.  (tests/plugin/run.sh
 * warnings)
 */
#include <stdlib.h>

struct e { void *p; };

void *f(struct e *x, void *ptr, size_t n)
{
  x->p = realloc(ptr, n);
  if (x->p == NULL) {
    x->p = ptr;
    return NULL;
  }
  return x->p;
}
