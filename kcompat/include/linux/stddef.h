/* SPDX-License-Identifier: MIT */
/*
 * linux/stddef.h - the system's <linux/stddef.h>, plus what kernel code expects from the kernel's
 * own: NULL, offsetof(), sizeof_field(), offsetofend(), true/false.
 *
 * glibc reaches this name through <linux/posix_types.h>, so the system file comes first
 * (design.md, "A trap in the kernel-style headers").
 */
#include_next <linux/stddef.h>

#ifndef CMWQ_LINUX_STDDEF_H
#define CMWQ_LINUX_STDDEF_H

#include <stddef.h>
#ifndef __cplusplus
#include <stdbool.h>
#endif

#ifndef sizeof_field
#define sizeof_field(TYPE, MEMBER) sizeof((((TYPE *)0)->MEMBER))
#endif
#ifndef offsetofend
#define offsetofend(TYPE, MEMBER) (offsetof(TYPE, MEMBER) + sizeof_field(TYPE, MEMBER))
#endif

#endif /* CMWQ_LINUX_STDDEF_H */
