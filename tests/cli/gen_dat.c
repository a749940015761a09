/* SPDX-License-Identifier: MIT */
/*
 * gen_dat.c - writes a large .dat fast, for the test that plots ten
 * million samples: `cli_gen_dat N > big.dat` writes a CMDLINE and N MEM
 * lines, 1 ms apart, a 200-sample sawtooth on a slow wave between 50 and
 * 160 MiB, whose one largest sample is 170.000000 MiB at sample N/2.
 * Figures are written from integers (micro-MiB, 0.1 ms), which printf
 * would take several times longer to format.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static char *put_fixed(char *o, unsigned long long v, int decimals)
{
    char tmp[32];
    int n = 0, i;

    do {
        tmp[n++] = (char)('0' + v % 10);
        v /= 10;
    } while (v || n <= decimals);
    for (i = n - 1; i >= 0; i--) {
        *o++ = tmp[i];
        if (i == decimals && decimals)
            *o++ = '.';
    }
    return o;
}

int main(int argc, char **argv)
{
    unsigned long long n = argc > 1 ? strtoull(argv[1], NULL, 10) : 1000;
    static char buf[1 << 16];
    char *o = buf;

    fputs("CMDLINE cli_gen_dat\n", stdout);
    for (unsigned long long i = 0; i < n; i++) {
        double wave = 105 + 50 * sin((double)i / 100000.0);
        unsigned long long mem = (unsigned long long)(wave * 1e6) +
                                 (i % 200) * 20000ULL;

        if (i == n / 2)
            mem = 170000000ULL;
        memcpy(o, "MEM ", 4);
        o = put_fixed(o + 4, mem, 6);
        *o++ = ' ';
        o = put_fixed(o, 17000000000000ULL + i * 10, 4);
        *o++ = '\n';
        if (o - buf > (long)sizeof buf - 128) {
            fwrite(buf, 1, (size_t)(o - buf), stdout);
            o = buf;
        }
    }
    fwrite(buf, 1, (size_t)(o - buf), stdout);
    return ferror(stdout) != 0;
}
