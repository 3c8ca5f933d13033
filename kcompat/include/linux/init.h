/* SPDX-License-Identifier: MIT */
/*
 * linux/init.h - section markers and the module entry points of kernel-style code.
 *
 *   __init, __exit, __initdata, __exitdata, __initconst   accepted in C, mean nothing in user space
 *   module_init(fn)   int fn(void): called by the module runner (cmwq::kmod_main) to load
 *   module_exit(fn)   void fn(void): called by the runner to unload
 *
 * module_init()/module_exit() register the function from a constructor that runs before main(),
 * so a module is an ordinary C file linked with cmwq::kmod_main (which provides main()). A program
 * holds at most one module: a second module_init() warns and replaces the first.
 */
#ifndef CMWQ_LINUX_INIT_H
#define CMWQ_LINUX_INIT_H

#include <linux/compiler.h>

/*
 * The section markers are empty. glibc's <stdlib.h> names a struct field __init, so it is
 * included first (its guard keeps later includes from seeing the macro). libstdc++ uses __init
 * as a parameter name all over, so C++ code gets no markers: kernel-style code is C.
 */
#ifndef __cplusplus
#include <stdlib.h>
#define __init
#define __exit
#define __initdata
#define __exitdata
#define __initconst
#define __init_or_module
#endif
#define __exit_p(x) x

typedef int (*initcall_t)(void);
typedef void (*exitcall_t)(void);

CMWQ_EXTERN_C_BEGIN

/* What module_init()/module_exit() expand to (cmwq extension). @file names the module. */
void cmwq_module_set_init(initcall_t fn, const char *file);
void cmwq_module_set_exit(exitcall_t fn, const char *file);

CMWQ_EXTERN_C_END

#define module_init(initfn)                                                             \
	static void __attribute__((constructor)) cmwq_module_register_init(void)       \
	{                                                                               \
		cmwq_module_set_init((initfn), __FILE__);                               \
	}                                                                               \
	extern int cmwq_module_init_declared

#define module_exit(exitfn)                                                             \
	static void __attribute__((constructor)) cmwq_module_register_exit(void)       \
	{                                                                               \
		cmwq_module_set_exit((exitfn), __FILE__);                               \
	}                                                                               \
	extern int cmwq_module_exit_declared

/* Built-in initcalls: in a user-space module they all mean "the module's init". */
#define device_initcall(fn) module_init(fn)
#define late_initcall(fn) module_init(fn)

#endif /* CMWQ_LINUX_INIT_H */
