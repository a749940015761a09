// SPDX-License-Identifier: MIT
// C++ constructors and destructors, every function instrumented: a global
// object (constructed before main, destroyed by an atexit handler that was
// registered after the runtime's, so before the report), a function-local
// static, temporaries, a base and a derived class, and an exception thrown
// through instrumented frames and caught (the catch line's events come
// through an EH edge: tests/plugin/repro/computed-goto-lines.c).
// No Increment marker on the constructors: the malloc in a mem-initializer
// is on the signature line and charged to no row
// (tests/plugin/repro/signature-line-work.c).
// badinput: lang=c++ flags=-std=c++17
#include <cstdio>
#include <cstdlib>
#include <stdexcept>

static int live, made;

struct Buf {
	char *p;
	explicit Buf(int n) : p(static_cast<char *>(std::malloc(n)))	// occ 13
	{
		live++;							// occ 13
		made++;							// occ 13
	}
	virtual ~Buf()							// occ 13
	{
		std::free(p);						// occ 13
		live--;							// occ 13
	}
};

struct Big : Buf {
	Big() : Buf(1 << 20)						// occ 2
	{
		p[0] = 1;						// occ 2
	}
	~Big() override							// occ 2
	{
		p[0] = 0;						// occ 2
	}
};

static Big global;

static int thrower(int i)						// occ 10
{
	Buf tmp(16);							// occ 10
	if (i % 2)							// occ 10
		throw std::runtime_error("odd");			// occ 5
	return i;							// occ 5
}

static Buf &local_static()						// occ 2
{
	static Buf once(32);						// occ 2
	return once;							// occ 2
}

int main()								// occ 1
{
	int caught = 0, sum = 0;					// occ 1
	for (int i = 0; i < 10; i++) {					// occ 11
		try {
			sum += thrower(i);				// occ 10
		} catch (const std::exception &e) {			// occ 5
			caught++;					// occ 5
		}
	}
	{
		Big b;							// occ 1
		sum += b.p[0];						// occ 1
	}
	local_static();							// occ 1
	local_static();							// occ 1
	std::printf("%d %d %d %d\n", sum, caught, live, made);		// occ 1
	return !(sum == 21 && caught == 5 && live == 2 && made == 13);	// occ 1
}
