// SPDX-License-Identifier: MIT
// C++: the attribute on free functions, member functions (virtual and
// override), functions in a namespace, templates, constexpr functions and
// lambdas is honoured; on variables, members and types it is a warning.
// On a deleted function (it has no body to profile) it is accepted
// silently.  constexpr functions and lambdas are
// called with a volatile argument: with constant ones the front end folds
// the call when optimising (tests/plugin/repro/constexpr-folded-calls.cc).
// badinput: lang=c++ flags=-std=c++17 all=0
#include <cstdio>

[[gnu::mprof]] static int f(int x)				// occ 1
{
	return x + 1;						// occ 1
}

struct S {
	[[gnu::mprof]] int m(int y)				// occ 2
	{
		return y * 2;					// occ 2
	}
	[[gnu::mprof]] int field;				// warn
	[[gnu::mprof]] S(const S &) = delete;
	S() = default;
};

struct [[gnu::mprof]] Tagged { int a; };			// warn

struct V {
	[[gnu::mprof]] virtual int g(int x)			// occ 1
	{
		return x + 1;					// occ 1
	}
	virtual ~V() = default;
};

struct W : V {
	[[gnu::mprof]] int g(int x) override			// occ 1
	{
		return x + 2;					// occ 1
	}
};

namespace ns {
[[gnu::mprof]] int h(int y)					// occ 1
{
	return y;						// occ 1
}
}

[[gnu::mprof]] constexpr int ce(int z)				// occ 1
{
	return z * 2;						// occ 1
}

template <class T> [[gnu::mprof]] T tf(T v)			// occ 3
{
	return v + 1;						// occ 3
}

__attribute__((mprof)) int var;					// warn

int main()
{
	auto l = [](int z) __attribute__((mprof)) {		// occ 1
		return z - 1;					// occ 1
	};
	S s{};
	W w;
	V v0, *v = &w;
	Tagged t{1};
	volatile int four = 4;
	int r = f(1) + s.m(2) + s.m(3) + tf(1) + tf(2) + tf(3.0) + l(four);
	r += v->g(1) + v0.g(0) + ns::h(2) + ce(four) + t.a + (&v0 != v);
	std::printf("%d\n", r);
	return r != 2 + 4 + 6 + 2 + 3 + 4 + 3 + 3 + 1 + 2 + 8 + 1 + 1;
}
