/* SPDX-License-Identifier: MIT */
/*
 * standalone.h - main() for a fuzz target built without libFuzzer
 * (-DMP_FUZZ_STANDALONE): feeds each file named on the command line to
 * LLVMFuzzerTestOneInput() once, so the corpus runs as a plain test.
 * Included at the end of fuzz_dat.c and fuzz_json.c.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

int main(int argc, char **argv)
{
	int i;

	for (i = 1; i < argc; i++) {
		FILE *f = fopen(argv[i], "rb");
		uint8_t *buf = NULL;
		size_t n = 0, cap = 0, r;

		if (!f) {
			perror(argv[i]);
			return 1;
		}
		do {
			if (n == cap) {
				uint8_t *nb;

				cap = cap ? cap * 2 : 65536;
				nb = realloc(buf, cap);
				if (!nb) {
					free(buf);
					fclose(f);
					return 1;
				}
				buf = nb;
			}
			r = fread(buf + n, 1, cap - n, f);
			n += r;
		} while (r > 0);
		fclose(f);
		LLVMFuzzerTestOneInput(buf, n);
		free(buf);
	}
	printf("%d inputs parsed\n", argc - 1);
	return 0;
}
