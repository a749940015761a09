/* SPDX-License-Identifier: MIT */
/* C23 attribute syntax: [[gnu::mprof]] works like __attribute__((mprof));
 * [[mprof]] (no vendor namespace) is GCC's "attribute ignored" warning.
 * badinput: flags=-std=c2x all=0 */
[[gnu::mprof]] int f(int x)					/* occ 2 */
{
	return x + 1;						/* occ 2 */
}

[[__gnu__::__mprof__]] int g(void)				/* occ 1 */
{
	return 3;						/* occ 1 */
}

[[mprof]] int h(void)						/* warn */
{
	return 4;						/* norow */
}

[[gnu::mprof]] int var;						/* warn */
struct [[gnu::mprof]] s { int a; };				/* warn */

int main(void)
{
	[[gnu::mprof]] int local = 0;				/* warn */
	[[gnu::mprof]];						/* warn */
	struct s v = { 1 };
	return f(-1) + f(0) + g() + h() + local + var + v.a - 9;
}
