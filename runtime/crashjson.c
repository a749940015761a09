/* SPDX-License-Identifier: MIT */
/*
 * crashjson.c - the JSON profile writer, compiled again against
 * crashenv.h for the profile written from a fatal signal (mp_crash_
 * names, no malloc, no stdio).
 */
#define MP_CRASHENV_RENAME
#include "crashenv.h"

#include "json.c"
