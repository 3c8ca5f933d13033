/* SPDX-License-Identifier: MIT */
/*
 * linux/err.h - error values carried in pointers: the top MAX_ERRNO addresses stand for -errno.
 *
 *   ERR_PTR(-ENOMEM)    a pointer that encodes the error
 *   IS_ERR(p)           true for such a pointer
 *   PTR_ERR(p)          the (negative) error it holds
 *   IS_ERR_OR_NULL(p), ERR_CAST(p), PTR_ERR_OR_ZERO(p)
 */
#ifndef CMWQ_LINUX_ERR_H
#define CMWQ_LINUX_ERR_H

#include <linux/compiler.h>
#include <linux/types.h>
/* What the kernel's <linux/err.h> brings in as well (kernel code relies on it). */
#include <linux/errno.h>

#define MAX_ERRNO 4095

#define IS_ERR_VALUE(x) unlikely((unsigned long)(void *)(x) >= (unsigned long)-MAX_ERRNO)

static inline void *__must_check ERR_PTR(long error)
{
	return (void *)error;
}

static inline long __must_check PTR_ERR(const void *ptr)
{
	return (long)ptr;
}

static inline bool __must_check IS_ERR(const void *ptr)
{
	return IS_ERR_VALUE((unsigned long)ptr);
}

static inline bool __must_check IS_ERR_OR_NULL(const void *ptr)
{
	return unlikely(!ptr) || IS_ERR_VALUE((unsigned long)ptr);
}

/* ERR_CAST - the same error pointer, with its const dropped, to return as another type. */
static inline void *__must_check ERR_CAST(const void *ptr)
{
	return (void *)ptr;
}

static inline int __must_check PTR_ERR_OR_ZERO(const void *ptr)
{
	return IS_ERR(ptr) ? (int)PTR_ERR(ptr) : 0;
}

#endif /* CMWQ_LINUX_ERR_H */
