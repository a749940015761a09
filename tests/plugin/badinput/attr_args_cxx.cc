// SPDX-License-Identifier: MIT
// C++: the attribute takes no arguments: an error each time, never an ICE,
// in both syntaxes and on a member function and a template.
// badinput: mode=error lang=c++ flags=-std=c++17
__attribute__((mprof(1))) int a() { return 1; }			// error
[[gnu::mprof("x")]] int b() { return 1; }			// error
[[gnu::mprof(1, 2)]] int c() { return 1; }			// error
struct S {
	[[gnu::mprof(3)]] int m() { return 1; }			// error
};
template <class T> [[gnu::mprof(4)]] T t(T v) { return v; }	// error
int main() { return t(0); }
