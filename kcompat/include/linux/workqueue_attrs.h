/* SPDX-License-Identifier: MIT */
/*
 * linux/workqueue_attrs.h - struct workqueue_attrs and the WQ_SYSFS attributes, included by
 * <linux/workqueue.h> (the kernel defines these in that header; cmwq keeps them in their own file).
 *
 *   enum wq_affn_scope, struct workqueue_attrs, alloc_workqueue_attrs(), free_workqueue_attrs(),
 *   apply_workqueue_attrs(), cmwq_wq_sysfs_read(), cmwq_wq_sysfs_write(), and the control socket
 *   that serves them to wqctl: cmwq_control_start(), cmwq_control_stop(), cmwq_control_socket_path().
 *
 * Rules (docs/attrs.md): only unbound, unordered queues take attributes; items already queued
 * finish where they were queued, later ones run on pools of the new attributes. The WQ_SYSFS
 * attributes are also reachable as files under /sys/bus/workqueue/devices/<name>/ through
 * <linux/fs.h>, and from outside the process with wqctl (docs/control.md).
 */
#ifndef CMWQ_LINUX_WORKQUEUE_ATTRS_H
#define CMWQ_LINUX_WORKQUEUE_ATTRS_H

#include <linux/compiler.h>
#include <linux/cpumask.h>
#include <linux/types.h>

struct workqueue_struct;

/* Affinity scopes of unbound queues (semantics.md 5.9), in the kernel's order. */
enum wq_affn_scope {
	WQ_AFFN_DFL,
	WQ_AFFN_CPU,
	WQ_AFFN_SMT,
	WQ_AFFN_CACHE,
	WQ_AFFN_CACHE_SHARD,
	WQ_AFFN_NUMA,
	WQ_AFFN_SYSTEM,
	WQ_AFFN_NR_TYPES,
};

/* As in the kernel; __pod_cpumask and ordered are accepted and ignored by apply. */
struct workqueue_attrs {
	int nice;                     /* [-20, 19] */
	cpumask_var_t cpumask;        /* CPUs the queue may use (∩ the global unbound cpumask) */
	cpumask_var_t __pod_cpumask;
	bool affn_strict;             /* confine workers to their pod */
	enum wq_affn_scope affn_scope;
	bool ordered;
};

CMWQ_EXTERN_C_BEGIN

/**
 * alloc_workqueue_attrs - allocate attributes with the defaults
 *
 * Context: may sleep.
 * Return: attributes with nice 0, every possible CPU, WQ_AFFN_DFL, not strict; NULL when out of
 * memory. Free with free_workqueue_attrs().
 */
struct workqueue_attrs *alloc_workqueue_attrs(void);

/**
 * free_workqueue_attrs - free what alloc_workqueue_attrs() returned
 * @attrs: the attributes; NULL is allowed
 */
void free_workqueue_attrs(struct workqueue_attrs *attrs);

/**
 * apply_workqueue_attrs - give a live unbound queue new attributes
 * @wq: the queue
 * @attrs: the new attributes (copied)
 *
 * Items already queued or running finish on the pools they were queued to; items queued after
 * the call go to pools of the new attributes (workers at the new nice, on the new CPUs).
 * Context: may sleep.
 * Return: 0; -EINVAL with a WARNING for a per-CPU or ordered queue, a destroyed handle or NULL
 * @attrs; -EINVAL for a nice outside [-20, 19] or an unknown scope; -ENODEV while the queue is
 * being destroyed; -ENOMEM if a pool could not be made. Nothing changes on error.
 */
int apply_workqueue_attrs(struct workqueue_struct *wq, const struct workqueue_attrs *attrs);

/**
 * cmwq_wq_sysfs_read - read a WQ_SYSFS attribute as /sys/bus/workqueue/devices/<wq>/<attr> shows it
 * @wq: the queue's name; NULL or "" for the global directory (cpumask, cpumask_requested,
 *      cpumask_isolated)
 * @attr: per_cpu, max_active, nice, cpumask, affinity_scope or affinity_strict
 * @buf: receives the text, with its newline, NUL-terminated (truncated to @size - 1)
 * @size: size of @buf
 *
 * Return: the length of the full text; -ENOENT if no live WQ_SYSFS queue is called @wq or it has
 * no such attribute.
 */
int cmwq_wq_sysfs_read(const char *wq, const char *attr, char *buf, size_t size);

/**
 * cmwq_wq_sysfs_write - write a WQ_SYSFS attribute with the kernel's validation
 * @wq: as for cmwq_wq_sysfs_read()
 * @attr: the attribute
 * @value: the text ("4", "4\n", "numa", "ff", ...)
 *
 * Return: 0; -ENOENT as above; -EACCES for a read-only attribute (per_cpu, max_active of an
 * ordered queue); -EINVAL (-ERANGE, -EOVERFLOW) for a bad value, nothing changed.
 */
int cmwq_wq_sysfs_write(const char *wq, const char *attr, const char *value);

/**
 * cmwq_control_start - serve this process's queues and attributes to wqctl (docs/control.md)
 *
 * Serves a UNIX socket $XDG_RUNTIME_DIR/cmwq/<pid>.sock (or /tmp/cmwq-<uid>/<pid>.sock), mode
 * 0600, to peers of the same uid only. CMWQ_CONTROL=1 does the same when the engine starts.
 * Idempotent. Context: may sleep.
 * Return: 0, or -errno (-EPERM when the directory is not ours or not 0700).
 */
int cmwq_control_start(void);

/* cmwq_control_stop - stop serving and remove the socket (also done at exit). */
void cmwq_control_stop(void);

/**
 * cmwq_control_socket_path - where this process serves
 * @buf: receives the path, NUL-terminated (truncated to @size - 1)
 * @size: size of @buf
 *
 * Return: the length of the path; 0 when not serving.
 */
int cmwq_control_socket_path(char *buf, size_t size);

CMWQ_EXTERN_C_END

#endif /* CMWQ_LINUX_WORKQUEUE_ATTRS_H */
