/* SPDX-License-Identifier: MIT */
/*
 * linux/errno.h - the system's error numbers (EINVAL, ENOMEM, ...), plus the kernel-internal ones
 * that never reach user space in the kernel but that kernel-style code returns and tests:
 * ERESTARTSYS, ENOTSUPP, EPROBE_DEFER, ...
 *
 * glibc's <errno.h> includes this name, so the system file comes first (design.md, "A trap in the
 * kernel-style headers"); the additions are plain macros with the kernel's values.
 */
#include_next <linux/errno.h>

#ifndef CMWQ_LINUX_ERRNO_H
#define CMWQ_LINUX_ERRNO_H

#define ERESTARTSYS 512
#define ERESTARTNOINTR 513
#define ERESTARTNOHAND 514
#define ENOIOCTLCMD 515
#define ERESTART_RESTARTBLOCK 516
#define EPROBE_DEFER 517
#define EOPENSTALE 518
#define ENOPARAM 519
#define EBADHANDLE 521
#define ENOTSYNC 522
#define EBADCOOKIE 523
#define ENOTSUPP 524
#define ETOOSMALL 525
#define ESERVERFAULT 526
#define EBADTYPE 527
#define EJUKEBOX 528
#define EIOCBQUEUED 529
#define ERECALLCONFLICT 530
#define ENOGRACE 531

#endif /* CMWQ_LINUX_ERRNO_H */
