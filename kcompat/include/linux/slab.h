/* SPDX-License-Identifier: MIT */
/*
 * linux/slab.h - kmalloc() and friends on the C heap, with leak accounting.
 *
 *   kmalloc(size, gfp), kzalloc(), kcalloc(n, size, gfp), kmalloc_array(), krealloc(),
 *   kmemdup(), kstrdup(), kstrndup(), kfree(), kfree_sensitive(), ksize(), and the kv*() forms
 *   (the same allocator here).
 *
 * Memory is 16-byte aligned (ARCH_KMALLOC_MINALIGN). Allocations may fail (NULL) like the
 * kernel's; an n * size product that overflows fails. kmalloc(0) returns ZERO_SIZE_PTR, which
 * kfree() accepts and which must not be dereferenced. kfree(NULL) does nothing; kfree() of a
 * pointer that kmalloc() did not return (or of one already freed) warns when it can tell, and
 * leaks rather than corrupts.
 *
 * Flags: with __GFP_DIRECT_RECLAIM (GFP_KERNEL, GFP_NOFS, ...) the call may sleep, so it checks
 * might_sleep() and warns in hard-IRQ, softirq or atomic context; GFP_ATOMIC and GFP_NOWAIT are
 * fine anywhere. __GFP_ZERO zeroes the memory. No call ever really blocks.
 *
 * Accounting: cmwq_kmalloc_outstanding_bytes() and cmwq_kmalloc_outstanding_allocs() count the
 * memory handed out and not yet freed (the sizes asked for), for leak reports. They are relaxed
 * counters: exact once the threads that allocate have been joined.
 */
#ifndef CMWQ_LINUX_SLAB_H
#define CMWQ_LINUX_SLAB_H

#include <linux/compiler.h>
#include <linux/gfp.h>
#include <linux/types.h>
/* What the kernel's <linux/slab.h> brings in as well (kernel code relies on it). */
#include <linux/bug.h>
#include <linux/workqueue.h>

#define ARCH_KMALLOC_MINALIGN 16
/* What kmalloc(0) returns: not NULL, never dereferenceable, accepted by kfree(). */
#define ZERO_SIZE_PTR ((void *)16)
#define ZERO_OR_NULL_PTR(x) ((unsigned long)(x) <= (unsigned long)ZERO_SIZE_PTR)
/* The largest single allocation kmalloc() attempts. */
#define KMALLOC_MAX_SIZE ((size_t)1 << 40)

CMWQ_EXTERN_C_BEGIN

void *kmalloc(size_t size, gfp_t flags) __must_check __attribute__((malloc));
void *kzalloc(size_t size, gfp_t flags) __must_check __attribute__((malloc));
void *kmalloc_array(size_t n, size_t size, gfp_t flags) __must_check __attribute__((malloc));
void *kcalloc(size_t n, size_t size, gfp_t flags) __must_check __attribute__((malloc));
void *kmalloc_node(size_t size, gfp_t flags, int node) __must_check __attribute__((malloc));
void *kzalloc_node(size_t size, gfp_t flags, int node) __must_check __attribute__((malloc));
/*
 * krealloc - resize a kmalloc() block, keeping its contents up to the smaller size
 * @p: the block, or NULL (then it is kmalloc())
 * @new_size: new size; 0 frees @p and returns ZERO_SIZE_PTR
 * @flags: as kmalloc(); with __GFP_ZERO the added bytes are zeroed
 * Return: the new block, or NULL (and @p is untouched) on failure.
 */
void *krealloc(const void *p, size_t new_size, gfp_t flags) __must_check;
void *krealloc_array(void *p, size_t new_n, size_t new_size, gfp_t flags) __must_check;
void *kmemdup(const void *src, size_t len, gfp_t gfp) __must_check;
char *kstrdup(const char *s, gfp_t gfp) __must_check;
char *kstrndup(const char *s, size_t max, gfp_t gfp) __must_check;
const char *kstrdup_const(const char *s, gfp_t gfp) __must_check;
void kfree(const void *objp);
void kfree_const(const void *objp);
/* kfree_sensitive - zero the block, then free it. */
void kfree_sensitive(const void *objp);
/* ksize - the usable size of a kmalloc() block (the size asked for); 0 for NULL/ZERO_SIZE_PTR. */
size_t ksize(const void *objp);

void *kvmalloc(size_t size, gfp_t flags) __must_check __attribute__((malloc));
void *kvzalloc(size_t size, gfp_t flags) __must_check __attribute__((malloc));
void *kvcalloc(size_t n, size_t size, gfp_t flags) __must_check __attribute__((malloc));
void *kvmalloc_array(size_t n, size_t size, gfp_t flags) __must_check __attribute__((malloc));
void kvfree(const void *addr);

/* Bytes and blocks handed out by kmalloc() and friends and not yet freed. */
size_t cmwq_kmalloc_outstanding_bytes(void);
size_t cmwq_kmalloc_outstanding_allocs(void);

CMWQ_EXTERN_C_END

#endif /* CMWQ_LINUX_SLAB_H */
