/* SPDX-License-Identifier: MIT */
/* The other unit of the `patterns` case: nothing here matches parse_*. */
#include <stdio.h>

int parse_line(int n);

int main(void)
{
	printf("%d\n", parse_line(1000));
	return 0;
}
