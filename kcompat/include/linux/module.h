/* SPDX-License-Identifier: MIT */
/*
 * linux/module.h - what a kernel module's source expects, for modules run by cmwq::kmod_main.
 *
 * The system's <linux/module.h> (the kernel's user-space API: finit_module flags) has the same
 * name and is included first, as design.md ("A trap in the kernel-style headers") requires.
 *
 *   module_init(), module_exit()                    (linux/init.h)
 *   module_param(), MODULE_PARM_DESC()              (linux/moduleparam.h)
 *   MODULE_LICENSE(), MODULE_AUTHOR(), MODULE_DESCRIPTION(), MODULE_VERSION(), MODULE_ALIAS()
 *                                                   recorded; the runner prints them
 *   THIS_MODULE, MODULE_DEVICE_TABLE(), MODULE_ALIAS()      accepted, mean nothing
 *   EXPORT_SYMBOL*()                                (linux/export.h)
 *   cmwq_module_get()                               what the runner loads (cmwq extension)
 *   cmwq_module_report_counter()                    a counter for the runner's report (cmwq extension)
 */
#include_next <linux/module.h>

#ifndef CMWQ_LINUX_MODULE_H
#define CMWQ_LINUX_MODULE_H

#include <linux/compiler.h>
#include <linux/export.h>
#include <linux/init.h>
#include <linux/moduleparam.h>
#include <linux/types.h>
/* What the kernel's <linux/module.h> brings in as well (kernel code relies on it). */
#include <linux/atomic.h>
#include <linux/bug.h>
#include <linux/errno.h>
#include <linux/gfp.h>
#include <linux/kernel.h>
#include <linux/list.h>
#include <linux/mutex.h>
#include <linux/spinlock.h>
#include <linux/stddef.h>
#include <linux/wait.h>
#include <linux/workqueue.h>

struct module;
#define THIS_MODULE ((struct module *)0)

/* The module as registered by the macros (cmwq extension). Fields are NULL when not given. */
struct cmwq_module_info {
	initcall_t init;
	exitcall_t exit;
	const char *name; /* base name of the file that called module_init(), without extension */
	const char *license;
	const char *author; /* the last MODULE_AUTHOR() */
	const char *description;
	const char *version;
};

CMWQ_EXTERN_C_BEGIN

/*
 * cmwq_module_report_counter - show @counter under @name in the module runner's report
 * @counter: read atomically when the report is printed (after module_exit); must stay valid
 *           until then (a static variable of the module)
 * The one cmwq-specific call a module may make, in the spirit of debugfs_create_atomic_t().
 */
void cmwq_module_report_counter(const char *name, const atomic_long_t *counter);
/* The registered counters, for the runner: count, then name and value of counter @index. */
size_t cmwq_module_report_count(void);
int cmwq_module_report_get(size_t index, const char **name, long *value);

/* What MODULE_LICENSE() and friends expand to: records @value under @tag. */
void cmwq_module_set_info(const char *tag, const char *value);
/* cmwq_module_get - the registered module (never NULL; init is NULL when no module_init()). */
const struct cmwq_module_info *cmwq_module_get(void);

CMWQ_EXTERN_C_END

#define CMWQ_MODULE_CAT2(a, b) a##b
#define CMWQ_MODULE_CAT(a, b) CMWQ_MODULE_CAT2(a, b)
#define CMWQ_MODULE_INFO(tag, value)                                                                   \
	static void __attribute__((constructor)) CMWQ_MODULE_CAT(cmwq_module_info_, __LINE__)(void)   \
	{                                                                                              \
		cmwq_module_set_info((tag), (value));                                                  \
	}                                                                                              \
	extern int cmwq_module_info_declared

#define MODULE_LICENSE(license) CMWQ_MODULE_INFO("license", license)
#define MODULE_AUTHOR(author) CMWQ_MODULE_INFO("author", author)
#define MODULE_DESCRIPTION(desc) CMWQ_MODULE_INFO("description", desc)
#define MODULE_VERSION(version) CMWQ_MODULE_INFO("version", version)
#define MODULE_ALIAS(alias) extern int cmwq_module_info_declared
#define MODULE_SOFTDEP(dep) extern int cmwq_module_info_declared
#define MODULE_IMPORT_NS(ns) extern int cmwq_module_info_declared
#define MODULE_DEVICE_TABLE(type, name) extern int cmwq_module_info_declared

#endif /* CMWQ_LINUX_MODULE_H */
