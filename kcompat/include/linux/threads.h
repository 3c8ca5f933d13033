/* SPDX-License-Identifier: MIT */
/* linux/threads.h - NR_CPUS: the most CPU ids cmwq supports (CPU ids are the real ones, U2). */
#ifndef CMWQ_LINUX_THREADS_H
#define CMWQ_LINUX_THREADS_H

#define NR_CPUS 4096

#endif /* CMWQ_LINUX_THREADS_H */
