/* SPDX-License-Identifier: MIT */
/*
 * <linux/ktime.h> and <linux/sort.h> from plain C (gnu11): the clocks move as they should, the
 * conversions and arithmetic give the kernel's values, sort() orders ints, structures with a
 * custom swap and odd-sized elements, sort_r() passes its context, and bad arguments WARN and
 * leave the array alone. Exits 0 on success, 1 on the first failed check.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <string.h>

#include <linux/bug.h>
#include <linux/delay.h>
#include <linux/ktime.h>
#include <linux/sort.h>

#include "c_check.h"

static void test_ktime(void)
{
	ktime_t a = ktime_get(), b;
	u64 ns = ktime_get_ns();

	msleep(5);
	b = ktime_get();
	CHECK(ktime_after(b, a) && ktime_before(a, b));
	CHECK(ktime_ms_delta(b, a) >= 5);
	CHECK(ktime_us_delta(b, a) >= 5000);
	CHECK(ktime_get_ns() > ns);
	CHECK(ktime_get_real() > ktime_set(1600000000, 0)); /* after 2020 */
	CHECK(ktime_get_boottime() >= ktime_get() - NSEC_PER_SEC); /* boottime counts suspend too */
	CHECK(ktime_get_raw() > 0);

	CHECK(ktime_to_ns(ns_to_ktime(1234567)) == 1234567);
	CHECK(ktime_to_us(ns_to_ktime(1234567)) == 1234);
	CHECK(ktime_to_ms(ns_to_ktime(1234567)) == 1);
	CHECK(ktime_to_ns(ktime_add_ns(ms_to_ktime(2), 5)) == 2000005);
	CHECK(ktime_sub(us_to_ktime(3), us_to_ktime(1)) == 2000);
	CHECK(ktime_add_us(0, 7) == 7000 && ktime_add_ms(0, 7) == 7000000);
	CHECK(ktime_compare(1, 2) < 0 && ktime_compare(2, 2) == 0 && ktime_compare(3, 2) > 0);
	CHECK(ktime_set(KTIME_SEC_MAX, 0) == KTIME_MAX); /* saturates */
	CHECK(ktime_divns(ktime_set(3, 500), NSEC_PER_SEC) == 3);
}

static int cmp_int(const void *a, const void *b)
{
	return *(const int *)a - *(const int *)b;
}

struct rec {
	u32 key;
	char tag[3]; /* 7-byte elements: the bytewise swap */
};

static int cmp_rec(const void *a, const void *b)
{
	const struct rec *x = a, *y = b;

	return x->key < y->key ? -1 : x->key > y->key;
}

static int swaps;

static void swap_rec(void *a, void *b, int size)
{
	struct rec t = *(struct rec *)a;

	CHECK(size == sizeof(struct rec));
	*(struct rec *)a = *(struct rec *)b;
	*(struct rec *)b = t;
	swaps++;
}

static int cmp_str(const void *a, const void *b)
{
	return strcmp(a, b);
}

static int cmp_desc_r(const void *a, const void *b, const void *priv)
{
	const int *sign = priv;

	return *sign * cmp_int(a, b);
}

static void test_sort(void)
{
	enum { n = 1000 };
	static int v[n];
	static struct rec r[n];
	char bytes[5][3] = { "dd", "bb", "ee", "aa", "cc" };
	int i, sign = -1;
	unsigned long warns;

	srand(7);
	for (i = 0; i < n; i++)
		v[i] = rand() % 100;
	sort(v, n, sizeof(v[0]), cmp_int, NULL);
	for (i = 1; i < n; i++)
		CHECK(v[i - 1] <= v[i]);

	for (i = 0; i < n; i++) {
		r[i].key = (u32)(n - i);
		r[i].tag[0] = (char)('a' + i % 26);
	}
	sort(r, n, sizeof(r[0]), cmp_rec, swap_rec);
	CHECK(swaps > 0);
	for (i = 0; i < n; i++)
		CHECK(r[i].key == (u32)(i + 1) && r[i].tag[0] == (char)('a' + (n - 1 - i) % 26));

	sort(bytes, 5, sizeof(bytes[0]), cmp_str, NULL); /* 3-byte elements */
	CHECK(bytes[0][0] == 'a' && bytes[4][0] == 'e');

	sort_r(v, n, sizeof(v[0]), cmp_desc_r, NULL, &sign);
	for (i = 1; i < n; i++)
		CHECK(v[i - 1] >= v[i]);

	sort(v, 0, sizeof(v[0]), cmp_int, NULL); /* nothing to do */
	sort(v, 1, sizeof(v[0]), cmp_int, NULL);
	warns = cmwq_warn_count();
	sort(v, n, 0, cmp_int, NULL); /* size 0: WARNs, array untouched */
	CHECK(cmwq_warn_count() == warns + 1);
	sort(v, n, sizeof(v[0]), NULL, NULL); /* no comparison */
	CHECK(cmwq_warn_count() == warns + 2);
	for (i = 1; i < n; i++)
		CHECK(v[i - 1] >= v[i]);
}

int main(void)
{
	test_ktime();
	test_sort();
	printf("ktime_sort: ok\n");
	return 0;
}
