/* SPDX-License-Identifier: MIT */
/*
 * linux/types.h - the kernel-internal basic types, on top of the system's <linux/types.h>.
 *
 * glibc headers include the system's uapi <linux/types.h>, and this file shadows it on the
 * include path, so it must first #include_next the system file (design.md, "A trap in the
 * kernel-style headers") and only then add what kernel code expects: u8..u64, s8..s64, bool,
 * atomic_t, atomic_long_t, struct list_head, struct hlist_node and struct hlist_head.
 */
#include_next <linux/types.h>

#ifndef CMWQ_LINUX_TYPES_H
#define CMWQ_LINUX_TYPES_H

#include <stddef.h>
#include <stdint.h>
#ifndef __cplusplus
#include <stdbool.h>
#endif

typedef uint8_t u8;
typedef uint16_t u16;
typedef uint32_t u32;
/* 64-bit types are long long, as the kernel's (asm-generic/int-ll64.h): %llu prints a u64. */
typedef unsigned long long u64;
typedef int8_t s8;
typedef int16_t s16;
typedef int32_t s32;
typedef long long s64;
typedef unsigned int gfp_t;

typedef struct {
	int counter;
} atomic_t;

typedef struct {
	long counter;
} atomic_long_t;

typedef struct {
	long long counter;
} atomic64_t;

struct list_head {
	struct list_head *next, *prev;
};

struct hlist_head {
	struct hlist_node *first;
};

struct hlist_node {
	struct hlist_node *next, **pprev;
};

#endif /* CMWQ_LINUX_TYPES_H */
