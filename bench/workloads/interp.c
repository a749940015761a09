/* SPDX-License-Identifier: MIT */
/*
 * interp.c - the compute-bound workload of bench/run: a small register
 * machine that assembles three fixed programs from text and runs them:
 * Collatz chains of 1..N, a sieve of Eratosthenes below 2N, and an
 * insertion sort of N/64 pseudo-random numbers.  Its dispatch loop runs a
 * few short lines per machine instruction and none of them allocates, so
 * an instrumented build pays for its line events and for nothing else:
 * the case gcov's counters are compared with.
 *
 *     interp [N]        problem size, default 1000000 (2.5 s here)
 *
 * Prints one line per program (its size and result) and the number of
 * instructions run; bench/run compares them with the plain build's.  The
 * assembler and the driver are marked MPROF (the "annotated" variant: the
 * functions a user would mark, where the work starts), the machine is not;
 * at -O2 GCC inlines it into the driver, where its lines make no event.
 * Registers are unsigned 64-bit and wrap; a memory address is taken modulo
 * the machine's memory, so no program can read outside it.
 */
#include <ctype.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <mprof.h>

#define NREGS 8
#define MEM_WORDS (1u << 21) /* 16 MiB: the sieve needs 2N words */
#define MAX_CODE 64
#define MAX_LABELS 16

enum op {
	OP_LI, OP_MOV, OP_ADD, OP_ADDI, OP_MUL, OP_MULI, OP_ANDI, OP_SHRI,
	OP_LD, OP_ST, OP_JMP, OP_BEQ, OP_BNE, OP_BLT, OP_BGE, OP_HALT
};

/* Operands: registers a, b, c and an immediate (or a branch target). */
struct insn {
	uint8_t op, a, b, c;
	int32_t imm;
};

/* Mnemonics and their operands: r a register, i an immediate, l a label. */
static const struct {
	const char *name;
	const char *operands;
} ops[] = {
	[OP_LI] = { "li", "ri" },     [OP_MOV] = { "mov", "rr" },
	[OP_ADD] = { "add", "rrr" },  [OP_ADDI] = { "addi", "rri" },
	[OP_MUL] = { "mul", "rrr" },  [OP_MULI] = { "muli", "rri" },
	[OP_ANDI] = { "andi", "rri" }, [OP_SHRI] = { "shri", "rri" },
	[OP_LD] = { "ld", "rr" },     [OP_ST] = { "st", "rr" },
	[OP_JMP] = { "jmp", "l" },    [OP_BEQ] = { "beq", "rrl" },
	[OP_BNE] = { "bne", "rrl" },  [OP_BLT] = { "blt", "rrl" },
	[OP_BGE] = { "bge", "rrl" },  [OP_HALT] = { "halt", "" },
};

/*
 * The programs.  r7 holds the argument, r0 the result.  `ld ra, rb` is
 * ra = mem[rb], `st ra, rb` is mem[rb] = ra; branches compare unsigned.
 */
static const char collatz_src[] =
	"        li   r0, 0\n"          /* total steps */
	"        li   r1, 1\n"          /* n */
	"        li   r3, 1\n"
	"        li   r6, 0\n"
	"next:   mov  r2, r1\n"
	"chain:  beq  r2, r3, done\n"
	"        andi r4, r2, 1\n"
	"        bne  r4, r6, odd\n"
	"        shri r2, r2, 1\n"
	"        addi r0, r0, 1\n"
	"        jmp  chain\n"
	"odd:    muli r2, r2, 3\n"
	"        addi r2, r2, 1\n"
	"        addi r0, r0, 1\n"
	"        jmp  chain\n"
	"done:   addi r1, r1, 1\n"
	"        bge  r7, r1, next\n"
	"        halt\n";

static const char sieve_src[] =
	"        li   r0, 0\n"          /* primes found */
	"        li   r1, 0\n"
	"        li   r3, 1\n"
	"        li   r6, 0\n"
	"clear:  st   r6, r1\n"
	"        addi r1, r1, 1\n"
	"        blt  r1, r7, clear\n"
	"        li   r1, 2\n"
	"loop:   bge  r1, r7, end\n"
	"        ld   r4, r1\n"
	"        bne  r4, r6, skip\n"
	"        addi r0, r0, 1\n"
	"        mul  r2, r1, r1\n"
	"mark:   bge  r2, r7, skip\n"
	"        st   r3, r2\n"
	"        add  r2, r2, r1\n"
	"        jmp  mark\n"
	"skip:   addi r1, r1, 1\n"
	"        jmp  loop\n"
	"end:    halt\n";

static const char sort_src[] =
	"        li   r2, 12345\n"      /* x, the generator's state */
	"        li   r1, 0\n"
	"fill:   muli r2, r2, 1103515245\n"
	"        addi r2, r2, 12345\n"
	"        andi r2, r2, 2147483647\n"
	"        st   r2, r1\n"
	"        addi r1, r1, 1\n"
	"        blt  r1, r7, fill\n"
	"        li   r1, 1\n"
	"outer:  bge  r1, r7, sum\n"
	"        ld   r4, r1\n"         /* key = a[i] */
	"        mov  r3, r1\n"         /* j = i */
	"inner:  li   r5, 0\n"
	"        beq  r3, r5, place\n"
	"        addi r5, r3, -1\n"
	"        ld   r6, r5\n"
	"        bge  r4, r6, place\n"  /* a[j - 1] <= key */
	"        st   r6, r3\n"
	"        mov  r3, r5\n"
	"        jmp  inner\n"
	"place:  st   r4, r3\n"
	"        addi r1, r1, 1\n"
	"        jmp  outer\n"
	"sum:    li   r0, 0\n"          /* checksum: r0 = r0 * 31 + a[i] */
	"        li   r1, 0\n"
	"acc:    bge  r1, r7, end\n"
	"        ld   r4, r1\n"
	"        muli r0, r0, 31\n"
	"        add  r0, r0, r4\n"
	"        addi r1, r1, 1\n"
	"        jmp  acc\n"
	"end:    halt\n";

struct program {
	struct insn code[MAX_CODE];
	int len;
};

static void fail(const char *what, const char *line)
{
	fprintf(stderr, "interp: %s: %.*s\n", what, (int)strcspn(line, "\n"), line);
	exit(2);
}

static const char *skip_blanks(const char *s)
{
	while (*s == ' ' || *s == '\t' || *s == ',')
		s++;
	return s;
}

/* A word of letters, digits and '_' or '-' at s, copied into buf. */
static const char *word(const char *s, char *buf, size_t size)
{
	size_t n = 0;

	s = skip_blanks(s);
	while (isalnum((unsigned char)*s) || *s == '_' || *s == '-') {
		if (n + 1 < size)
			buf[n++] = *s;
		s++;
	}
	buf[n] = 0;
	return s;
}

/* Sets the nth register operand of in. */
static void set_reg(struct insn *in, int nth, uint8_t reg)
{
	if (nth == 0)
		in->a = reg;
	else if (nth == 1)
		in->b = reg;
	else
		in->c = reg;
}

/*
 * Assembles src into p, in two passes: the first records where each label
 * is, the second encodes the instructions with their targets.  The
 * programs are fixed, so an error is a bug of this file: it exits 2.
 */
MPROF static void assemble(const char *src, struct program *p)
{
	char labels[MAX_LABELS][16];
	int where[MAX_LABELS], nlabels = 0;

	for (int pass = 0; pass < 2; pass++) {
		const char *line = src;

		p->len = 0;
		while (*line) {
			const char *s = line, *after;
			char tok[16];
			size_t op;
			struct insn in = { 0 };
			int nreg = 0;

			after = word(s, tok, sizeof tok);
			if (*after == ':') {
				if (pass == 0) {
					if (nlabels == MAX_LABELS)
						fail("too many labels", line);
					strcpy(labels[nlabels], tok);
					where[nlabels++] = p->len;
				}
				after = word(after + 1, tok, sizeof tok);
			}
			for (op = 0; op < sizeof ops / sizeof ops[0]; op++)
				if (!strcmp(ops[op].name, tok))
					break;
			if (op == sizeof ops / sizeof ops[0])
				fail("unknown instruction", line);
			in.op = (uint8_t)op;
			s = after;
			for (const char *k = ops[op].operands; *k; k++) {
				s = word(s, tok, sizeof tok);
				if (*k == 'r') {
					if (tok[0] != 'r' || tok[1] < '0' || tok[1] >= '0' + NREGS || tok[2])
						fail("bad register", line);
					set_reg(&in, nreg++, (uint8_t)(tok[1] - '0'));
				} else if (*k == 'i') {
					in.imm = (int32_t)strtol(tok, NULL, 10);
				} else if (pass == 1) {
					int l = 0;

					while (l < nlabels && strcmp(labels[l], tok))
						l++;
					if (l == nlabels)
						fail("unknown label", line);
					in.imm = where[l];
				}
			}
			if (p->len == MAX_CODE)
				fail("program too long", line);
			p->code[p->len++] = in;
			line += strcspn(line, "\n");
			if (*line)
				line++;
		}
	}
}

/*
 * Runs p from its first instruction with r7 = arg until halt; returns r0
 * and adds the instructions it ran to *ran.  One short line per step of
 * the dispatch: what an instrumented build pays a line event for.
 */
static uint64_t execute(const struct program *p, uint64_t *mem, uint64_t arg, uint64_t *ran)
{
	uint64_t r[NREGS] = { 0 };
	uint64_t n = 0;
	int pc = 0;

	r[7] = arg;
	for (;;) {
		const struct insn *i = &p->code[pc++];

		n++;
		switch (i->op) {
		case OP_LI:
			r[i->a] = (uint64_t)(int64_t)i->imm;
			break;
		case OP_MOV:
			r[i->a] = r[i->b];
			break;
		case OP_ADD:
			r[i->a] = r[i->b] + r[i->c];
			break;
		case OP_ADDI:
			r[i->a] = r[i->b] + (uint64_t)(int64_t)i->imm;
			break;
		case OP_MUL:
			r[i->a] = r[i->b] * r[i->c];
			break;
		case OP_MULI:
			r[i->a] = r[i->b] * (uint64_t)(int64_t)i->imm;
			break;
		case OP_ANDI:
			r[i->a] = r[i->b] & (uint64_t)(int64_t)i->imm;
			break;
		case OP_SHRI:
			r[i->a] = r[i->b] >> (i->imm & 63);
			break;
		case OP_LD:
			r[i->a] = mem[r[i->b] % MEM_WORDS];
			break;
		case OP_ST:
			mem[r[i->b] % MEM_WORDS] = r[i->a];
			break;
		case OP_JMP:
			pc = i->imm;
			break;
		case OP_BEQ:
			if (r[i->a] == r[i->b])
				pc = i->imm;
			break;
		case OP_BNE:
			if (r[i->a] != r[i->b])
				pc = i->imm;
			break;
		case OP_BLT:
			if (r[i->a] < r[i->b])
				pc = i->imm;
			break;
		case OP_BGE:
			if (r[i->a] >= r[i->b])
				pc = i->imm;
			break;
		case OP_HALT:
			*ran += n;
			return r[0];
		}
	}
}

/* Assembles and runs each program on its share of size n; prints results. */
MPROF static void run_suite(uint64_t n, uint64_t *mem)
{
	static const struct {
		const char *name, *what, *src;
		uint64_t mul, div;
	} suite[] = {
		{ "collatz", "steps", collatz_src, 1, 1 },
		{ "sieve", "primes", sieve_src, 2, 1 },
		{ "sort", "checksum", sort_src, 1, 64 },
	};
	uint64_t ran = 0;

	for (size_t k = 0; k < sizeof suite / sizeof suite[0]; k++) {
		struct program p;
		uint64_t arg = n * suite[k].mul / suite[k].div;

		assemble(suite[k].src, &p);
		printf("%-8s %10llu %-8s %llu\n", suite[k].name, (unsigned long long)arg,
		       suite[k].what, (unsigned long long)execute(&p, mem, arg, &ran));
	}
	printf("instructions %llu\n", (unsigned long long)ran);
}

int main(int argc, char **argv)
{
	uint64_t n = argc > 1 ? strtoull(argv[1], NULL, 10) : 1000000;
	uint64_t *mem;

	if (n < 1 || 2 * n > MEM_WORDS) {
		fprintf(stderr, "interp: N must be between 1 and %u\n", MEM_WORDS / 2);
		return 2;
	}
	mem = calloc(MEM_WORDS, sizeof *mem);
	if (!mem) {
		fprintf(stderr, "interp: out of memory\n");
		return 1;
	}
	run_suite(n, mem);
	free(mem);
	return 0;
}
