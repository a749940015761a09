/* SPDX-License-Identifier: MIT */
/*
 * crashtable.c - the in-memory profile and the line table, compiled again
 * against crashenv.h for the report written from a fatal signal: the
 * same code as the at-exit report, with mp_crash_ names, no malloc and
 * no stdio.
 */
#define MP_CRASHENV_RENAME
#include "crashenv.h"

#include "profile.c"
#include "source.c"
#include "table.c"
