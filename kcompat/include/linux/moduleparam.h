/* SPDX-License-Identifier: MIT */
/*
 * linux/moduleparam.h - module parameters, set from "name=value" arguments of the module runner.
 *
 *   module_param(name, type, perm)              a parameter named after the variable
 *   module_param_named(name, value, type, perm) a parameter @name stored in variable @value
 *   MODULE_PARM_DESC(name, desc)                its description (shown by --help)
 *
 * Types: int, uint, long, ulong, short, ushort, bool, invbool, charp. The variable's type is
 * checked at compile time (a mismatch is a warning in C and an error in C++). @perm is recorded and
 * otherwise ignored (there is no sysfs).
 *
 * Values are parsed as the kernel does: integers with kstrtol-style bases (0x.., 0..), bool from
 * 1/0/y/n/Y/N/on/off/true/false (a bare "name" sets true), charp keeps a copy of the string that
 * lives until the process exits. Parameters are set before the module's init runs.
 */
#ifndef CMWQ_LINUX_MODULEPARAM_H
#define CMWQ_LINUX_MODULEPARAM_H

#include <linux/compiler.h>
#include <linux/types.h>
/* What the kernel's <linux/moduleparam.h> brings in as well (kernel code relies on it). */
#include <linux/init.h>
#include <linux/kernel.h>

enum cmwq_param_type {
	CMWQ_PARAM_TYPE_int,
	CMWQ_PARAM_TYPE_uint,
	CMWQ_PARAM_TYPE_long,
	CMWQ_PARAM_TYPE_ulong,
	CMWQ_PARAM_TYPE_short,
	CMWQ_PARAM_TYPE_ushort,
	CMWQ_PARAM_TYPE_bool,
	CMWQ_PARAM_TYPE_invbool,
	CMWQ_PARAM_TYPE_charp,
};

/* Compile-time type checks: each returns its argument, typed. */
static inline void *cmwq_param_check_int(int *p) { return p; }
static inline void *cmwq_param_check_uint(unsigned int *p) { return p; }
static inline void *cmwq_param_check_long(long *p) { return p; }
static inline void *cmwq_param_check_ulong(unsigned long *p) { return p; }
static inline void *cmwq_param_check_short(short *p) { return p; }
static inline void *cmwq_param_check_ushort(unsigned short *p) { return p; }
static inline void *cmwq_param_check_bool(bool *p) { return p; }
static inline void *cmwq_param_check_invbool(bool *p) { return p; }
static inline void *cmwq_param_check_charp(char **p) { return p; }

CMWQ_EXTERN_C_BEGIN

/* What module_param_named() expands to: registers @name (cmwq extension). */
void cmwq_module_param_register(const char *name, void *value, enum cmwq_param_type type, unsigned int perm);
/* What MODULE_PARM_DESC() expands to. */
void cmwq_module_param_desc(const char *name, const char *desc);

/*
 * cmwq_module_param_set - parse @value into the parameter @name (what "name=value" does)
 * @value: NULL for a bare "name" (only bool and invbool accept it: true)
 * Return: 0; -ENOENT for an unknown name; -EINVAL for a value that does not parse or fit.
 */
int cmwq_module_param_set(const char *name, const char *value);

/* cmwq_module_param_count - number of registered parameters. */
size_t cmwq_module_param_count(void);

/*
 * cmwq_module_param_describe - format parameter @index as "name=value (type): description"
 * Return: the length it wanted (as snprintf), or -1 when @index is out of range.
 */
int cmwq_module_param_describe(size_t index, char *buf, size_t size);

CMWQ_EXTERN_C_END

#define module_param_named(name, value, type, perm)                                            \
	static void __attribute__((constructor)) cmwq_module_param_init_##name(void)          \
	{                                                                                      \
		cmwq_module_param_register(#name, cmwq_param_check_##type(&(value)),          \
					   CMWQ_PARAM_TYPE_##type, (perm));                    \
	}                                                                                      \
	extern int cmwq_module_param_declared_##name

#define module_param(name, type, perm)                                                         \
	static void __attribute__((constructor)) cmwq_module_param_init_##name(void)          \
	{                                                                                      \
		cmwq_module_param_register(#name, cmwq_param_check_##type(&(name)),           \
					   CMWQ_PARAM_TYPE_##type, (perm));                    \
	}                                                                                      \
	extern int cmwq_module_param_declared_##name

#define MODULE_PARM_DESC(name, desc)                                                           \
	static void __attribute__((constructor)) cmwq_module_param_desc_##name(void)          \
	{                                                                                      \
		cmwq_module_param_desc(#name, (desc));                                         \
	}                                                                                      \
	extern int cmwq_module_param_desc_declared_##name

#endif /* CMWQ_LINUX_MODULEPARAM_H */
