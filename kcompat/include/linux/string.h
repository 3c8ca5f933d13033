/* SPDX-License-Identifier: MIT */
/*
 * linux/string.h - the C string functions (the system's <linux/string.h> includes <string.h>), plus
 * the kernel's strscpy(), strscpy_pad() and memzero_explicit().
 *
 * The system file comes first (design.md, "A trap in the kernel-style headers").
 */
#include_next <linux/string.h>

#ifndef CMWQ_LINUX_STRING_H
#define CMWQ_LINUX_STRING_H

#include <string.h>
#include <sys/types.h>

#include <linux/compiler.h>
/* What the kernel's <linux/string.h> brings in as well (kernel code relies on it). */
#include <linux/err.h>
#include <linux/errno.h>
#include <linux/types.h>

CMWQ_EXTERN_C_BEGIN

/*
 * strscpy - copy a C string into a buffer of @size bytes, always NUL-terminated (if @size > 0)
 * Return: the length copied, or -E2BIG if @src did not fit (the copy is then truncated).
 */
ssize_t strscpy(char *dest, const char *src, size_t size);
/* strscpy_pad - strscpy(), then zero the rest of @dest. */
ssize_t strscpy_pad(char *dest, const char *src, size_t size);
/* memzero_explicit - zero @s in a way the compiler cannot optimise away. */
void memzero_explicit(void *s, size_t count);

CMWQ_EXTERN_C_END

#endif /* CMWQ_LINUX_STRING_H */
