# SPDX-License-Identifier: MIT
# The fuzz target's properties over its corpus and over generated inputs
# (the standalone build of tests/fuzz/fuzz_dat.c): whole and split feeds
# agree, every line is counted once, no crash.
. "$(dirname "$0")/lib.sh"

run "$FUZZ_DRIVER" "$SRCDIR"/tests/fuzz/corpus/*
check "corpus: every input passes" eval 'status_is 0 && out_has "inputs parsed"'
i=0
while [ $i -lt 200 ]; do
	head -c $((i * 37 % 3000 + 1)) /dev/urandom | tr '\000' 'M' >r$i
	i=$((i + 1))
done
run "$FUZZ_DRIVER" r*
check "random inputs: pass" status_is 0
awk 'BEGIN { srand(7); for (i = 0; i < 2000; i++) { t = int(rand() * 5); printf "%s %s %s\n", t == 0 ? "MEM" : t == 1 ? "CHLD" : t == 2 ? "FUNC" : t == 3 ? "CMDLINE" : "X", rand() * 100, rand() > 0.5 ? "1.5 2.5 3.5 4" : "z" } }' >mixed
run "$FUZZ_DRIVER" mixed
check "mixed records: pass" status_is 0

finish
