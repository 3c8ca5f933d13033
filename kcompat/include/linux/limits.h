/* SPDX-License-Identifier: MIT */
/*
 * linux/limits.h - the system's <linux/limits.h> (PATH_MAX, NAME_MAX, ...), plus the kernel's
 * fixed-width limits U8_MAX .. S64_MIN and SIZE_MAX-style helpers.
 *
 * glibc includes this name from inside <limits.h>, before the C limits are complete, so nothing
 * here includes another header or relies on INT_MAX and friends (design.md, "A trap in the
 * kernel-style headers"). The standard INT_MAX, LONG_MAX, ... come from <limits.h>, which
 * linux/kernel.h includes.
 */
#include_next <linux/limits.h>

#ifndef CMWQ_LINUX_LIMITS_H
#define CMWQ_LINUX_LIMITS_H

#define U8_MAX ((unsigned char)~0U)
#define S8_MAX ((signed char)(U8_MAX >> 1))
#define S8_MIN ((signed char)(-S8_MAX - 1))
#define U16_MAX ((unsigned short)~0U)
#define S16_MAX ((short)(U16_MAX >> 1))
#define S16_MIN ((short)(-S16_MAX - 1))
#define U32_MAX ((unsigned int)~0U)
#define U32_MIN ((unsigned int)0)
#define S32_MAX ((int)(U32_MAX >> 1))
#define S32_MIN ((int)(-S32_MAX - 1))
#define U64_MAX ((unsigned long long)~0ULL)
#define S64_MAX ((long long)(U64_MAX >> 1))
#define S64_MIN ((long long)(-S64_MAX - 1))

#endif /* CMWQ_LINUX_LIMITS_H */
