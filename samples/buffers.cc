// SPDX-License-Identifier: MIT
/*
 * buffers.cc - C++: a constructor whose member initialisers allocate, a
 * std::vector growing in a loop, and an exception thrown two calls below
 * the function that catches it.
 *
 * Heap backend (exact), main holding the 4 MiB vector from then on:
 *   Buffer::Buffer  4 calls (1 and 2 MiB, twice); the member initialiser
 *                   that allocates takes +6.0 MiB over the calls.
 *   sequence        1 Mi push_back: the vector doubles its block (freeing
 *                   the old one) up to 4 MiB, +4.0 MiB on the push_back
 *                   line; `return v;` moves nothing (no row).
 *   check           its second call throws while holding its 2 MiB buffer:
 *                   the unwinding destroys it on the closing brace's row
 *                   (-2.0 MiB, once); the first call's return line frees it.
 *   validate        the same for its 1 MiB buffer: the call that threw
 *                   comes back through the closing brace (-1.0 MiB, once).
 *   process         catches the exception two calls below it: the catch
 *                   block's rows run once; freeing the exception object
 *                   at its end shows as -0.0 MiB on `return 0;`.
 */
#include <cstddef>
#include <cstdio>
#include <cstring>
#include <memory>
#include <stdexcept>
#include <vector>

#include <mprof.h>

constexpr std::size_t MIB = 1024 * 1024;

// A block of memory taken by the member initialisers, filled by the body.
class Buffer {
public:
    MPROF explicit Buffer(std::size_t mib)
        : size_(mib * MIB),
          data_(new char[size_])
    {
        std::memset(data_.get(), 1, size_);
    }

    std::size_t size() const { return size_; }

private:
    std::size_t size_;
    std::unique_ptr<char[]> data_;
};

// 1 Mi numbers pushed one by one: the vector reallocates as it grows.
MPROF static std::vector<int> sequence(int n)
{
    std::vector<int> v;
    for (int i = 0; i < n; i++)
        v.push_back(i);
    return v;
}

// Throws when level is too high, with its 2 MiB buffer still held.
MPROF static std::size_t check(int level)
{
    Buffer scratch(2);
    if (level > 2)
        throw std::runtime_error("level too high");
    return scratch.size() / MIB;
}

MPROF static std::size_t validate(int level)
{
    Buffer copy(1);
    return copy.size() / MIB + check(level);
}

// Catches what check() throws two calls below.
MPROF static std::size_t process(int level)
{
    try {
        return validate(level);
    } catch (const std::runtime_error &e) {
        std::printf("buffers: caught '%s'\n", e.what());
        return 0;
    }
}

int main()
{
    std::vector<int> v = sequence(1 << 20);
    std::size_t ok = process(1);
    std::size_t failed = process(3);

    std::printf("buffers: %zu numbers, last %d; process: %zu then %zu\n",
                v.size(), v.back(), ok, failed);
    return 0;
}
