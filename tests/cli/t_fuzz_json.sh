# SPDX-License-Identifier: MIT
# The JSON fuzz target's properties (the standalone build of
# tests/fuzz/fuzz_json.c) over its corpus and over generated inputs: a
# failure is one line naming the input, a success survives the write/read
# round trip byte for byte, nothing crashes.
. "$(dirname "$0")/lib.sh"

run "$FUZZ_JSON_DRIVER" "$SRCDIR"/tests/fuzz/corpus_json/*
check "corpus: every input passes" eval 'status_is 0 && out_has "inputs parsed"'

# random bytes, and random cuts and byte flips of the valid seeds
i=0
while [ $i -lt 100 ]; do
	head -c $((i * 37 % 3000 + 1)) /dev/urandom >r$i
	i=$((i + 1))
done
run "$FUZZ_JSON_DRIVER" r*
check "random inputs: pass" status_is 0
i=0
for seed in "$SRCDIR"/tests/fuzz/corpus_json/*.json; do
	size=$(wc -c <"$seed")
	for k in 1 2 3 4 5 6 7 8; do
		cut=$(((i * 7919 + k * 104729) % size))
		head -c "$cut" "$seed" >c$i.$k
		{ head -c "$cut" "$seed"; printf '\377'; tail -c +$((cut + 2)) "$seed"; } >f$i.$k
	done
	i=$((i + 1))
done
run "$FUZZ_JSON_DRIVER" c* f*
check "cut and flipped seeds: pass" status_is 0

finish
