/* SPDX-License-Identifier: MIT */
/*
 * linux/bitops.h - bit masks and operations on bitmaps of unsigned longs.
 *
 *   BIT(), BIT_ULL(), GENMASK(), GENMASK_ULL(), BITS_PER_LONG, BITS_TO_LONGS(), DECLARE_BITMAP()
 *   set_bit(), clear_bit(), change_bit(), test_and_set_bit(), test_and_clear_bit(),
 *   test_and_change_bit()     atomic; the test_and_ forms are fully ordered, the others relaxed
 *   __set_bit(), __clear_bit(), __change_bit()   non-atomic
 *   test_bit()                a relaxed atomic load
 *   find_first_bit(), find_next_bit(), find_first_zero_bit(), find_next_zero_bit(),
 *   for_each_set_bit(), hweight32(), hweight64(), hweight_long(), __ffs(), __fls(), fls(), fls64()
 *
 * find_*() return @size when no bit is found.
 */
#ifndef CMWQ_LINUX_BITOPS_H
#define CMWQ_LINUX_BITOPS_H

#include <limits.h>

#include <linux/compiler.h>
#include <linux/types.h>

#define BITS_PER_BYTE 8
#define BITS_PER_LONG ((int)(sizeof(long) * 8))
#define BITS_PER_LONG_LONG 64
#define BIT(nr) (1UL << (nr))
#define BIT_ULL(nr) (1ULL << (nr))
#define BIT_MASK(nr) (1UL << ((nr) % BITS_PER_LONG))
#define BIT_WORD(nr) ((nr) / BITS_PER_LONG)
/* GENMASK(h, l) - bits l..h set, h >= l. */
#define GENMASK(h, l) ((~0UL << (l)) & (~0UL >> (BITS_PER_LONG - 1 - (h))))
#define GENMASK_ULL(h, l) ((~0ULL << (l)) & (~0ULL >> (63 - (h))))
#define BITS_TO_LONGS(nr) (((nr) + BITS_PER_LONG - 1) / BITS_PER_LONG)
#define DECLARE_BITMAP(name, bits) unsigned long name[BITS_TO_LONGS(bits)]

static inline void set_bit(long nr, volatile unsigned long *addr)
{
	(void)__atomic_fetch_or(&addr[BIT_WORD(nr)], BIT_MASK(nr), __ATOMIC_RELAXED);
}
static inline void clear_bit(long nr, volatile unsigned long *addr)
{
	(void)__atomic_fetch_and(&addr[BIT_WORD(nr)], ~BIT_MASK(nr), __ATOMIC_RELAXED);
}
static inline void change_bit(long nr, volatile unsigned long *addr)
{
	(void)__atomic_fetch_xor(&addr[BIT_WORD(nr)], BIT_MASK(nr), __ATOMIC_RELAXED);
}
static inline bool test_and_set_bit(long nr, volatile unsigned long *addr)
{
	return (__atomic_fetch_or(&addr[BIT_WORD(nr)], BIT_MASK(nr), __ATOMIC_SEQ_CST) & BIT_MASK(nr)) != 0;
}
static inline bool test_and_clear_bit(long nr, volatile unsigned long *addr)
{
	return (__atomic_fetch_and(&addr[BIT_WORD(nr)], ~BIT_MASK(nr), __ATOMIC_SEQ_CST) & BIT_MASK(nr)) != 0;
}
static inline bool test_and_change_bit(long nr, volatile unsigned long *addr)
{
	return (__atomic_fetch_xor(&addr[BIT_WORD(nr)], BIT_MASK(nr), __ATOMIC_SEQ_CST) & BIT_MASK(nr)) != 0;
}
static inline bool test_bit(long nr, const volatile unsigned long *addr)
{
	return (__atomic_load_n(&addr[BIT_WORD(nr)], __ATOMIC_RELAXED) & BIT_MASK(nr)) != 0;
}
static inline void __set_bit(long nr, volatile unsigned long *addr)
{
	unsigned long *word = (unsigned long *)addr + BIT_WORD(nr);

	*word |= BIT_MASK(nr);
}
static inline void __clear_bit(long nr, volatile unsigned long *addr)
{
	unsigned long *word = (unsigned long *)addr + BIT_WORD(nr);

	*word &= ~BIT_MASK(nr);
}
static inline void __change_bit(long nr, volatile unsigned long *addr)
{
	unsigned long *word = (unsigned long *)addr + BIT_WORD(nr);

	*word ^= BIT_MASK(nr);
}

static inline unsigned int hweight32(unsigned int w)
{
	return (unsigned int)__builtin_popcount(w);
}
static inline unsigned int hweight64(unsigned long long w)
{
	return (unsigned int)__builtin_popcountll(w);
}
static inline unsigned long hweight_long(unsigned long w)
{
	return (unsigned long)__builtin_popcountl(w);
}
/* __ffs - index of the lowest set bit of @word; undefined for 0. */
static inline unsigned long __ffs(unsigned long word)
{
	return (unsigned long)__builtin_ctzl(word);
}
/* __fls - index of the highest set bit of @word; undefined for 0. */
static inline unsigned long __fls(unsigned long word)
{
	return (unsigned long)(BITS_PER_LONG - 1 - __builtin_clzl(word));
}
/* fls - 1-based index of the highest set bit, 0 for 0 (fls(1) == 1, fls(0x80000000) == 32). */
static inline int fls(unsigned int x)
{
	return x ? 32 - __builtin_clz(x) : 0;
}
static inline int fls64(unsigned long long x)
{
	return x ? 64 - __builtin_clzll(x) : 0;
}

/* The first bit at or after @offset that is set (@invert = 0) or clear (~0UL); @size if none. */
static inline unsigned long cmwq_find_bit(const unsigned long *addr, unsigned long size, unsigned long offset,
					  unsigned long invert)
{
	unsigned long idx, word;

	if (offset >= size)
		return size;
	idx = offset / BITS_PER_LONG;
	word = (addr[idx] ^ invert) & (~0UL << (offset % BITS_PER_LONG));
	for (;;) {
		if (word) {
			unsigned long bit = idx * BITS_PER_LONG + __ffs(word);
			return bit < size ? bit : size;
		}
		if (++idx * BITS_PER_LONG >= size)
			return size;
		word = addr[idx] ^ invert;
	}
}
static inline unsigned long find_next_bit(const unsigned long *addr, unsigned long size, unsigned long offset)
{
	return cmwq_find_bit(addr, size, offset, 0UL);
}
static inline unsigned long find_first_bit(const unsigned long *addr, unsigned long size)
{
	return cmwq_find_bit(addr, size, 0, 0UL);
}
static inline unsigned long find_next_zero_bit(const unsigned long *addr, unsigned long size, unsigned long offset)
{
	return cmwq_find_bit(addr, size, offset, ~0UL);
}
static inline unsigned long find_first_zero_bit(const unsigned long *addr, unsigned long size)
{
	return cmwq_find_bit(addr, size, 0, ~0UL);
}

#define for_each_set_bit(bit, addr, size)                                        \
	for ((bit) = find_first_bit((addr), (size)); (bit) < (size);             \
	     (bit) = find_next_bit((addr), (size), (bit) + 1))
#define for_each_clear_bit(bit, addr, size)                                      \
	for ((bit) = find_first_zero_bit((addr), (size)); (bit) < (size);        \
	     (bit) = find_next_zero_bit((addr), (size), (bit) + 1))

#endif /* CMWQ_LINUX_BITOPS_H */
