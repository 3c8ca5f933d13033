/* SPDX-License-Identifier: MIT */
/*
 * linux/kconfig.h - IS_ENABLED(CONFIG_FOO) and friends, usable in #if and in C expressions.
 *
 * An option counts as built in when its macro is defined to 1, as a module when CONFIG_FOO_MODULE
 * is defined to 1. cmwq defines CONFIG_SMP (there are several CPUs); everything else is off unless
 * the including code defines it.
 */
#ifndef CMWQ_LINUX_KCONFIG_H
#define CMWQ_LINUX_KCONFIG_H

#ifndef CONFIG_SMP
#define CONFIG_SMP 1
#endif

/*
 * How the test works: CMWQ_KCONFIG_ONE_<value> exists only for the value 1 and expands to "0,",
 * which shifts a 1 into the second argument position; any other spelling leaves the 0 there.
 */
#define CMWQ_KCONFIG_ONE_1 0,
#define CMWQ_KCONFIG_SECOND(ignored, value, ...) value
#define CMWQ_KCONFIG_PICK(junk_or_comma) CMWQ_KCONFIG_SECOND(junk_or_comma 1, 0, 0)
#define CMWQ_KCONFIG_IS_ONE_(value) CMWQ_KCONFIG_PICK(CMWQ_KCONFIG_ONE_##value)
#define CMWQ_KCONFIG_IS_ONE(value) CMWQ_KCONFIG_IS_ONE_(value)

/* IS_BUILTIN - 1 if @option is defined to 1, else 0. */
#define IS_BUILTIN(option) CMWQ_KCONFIG_IS_ONE(option)
/* IS_MODULE - 1 if @option_MODULE is defined to 1, else 0. */
#define IS_MODULE(option) CMWQ_KCONFIG_IS_ONE(option##_MODULE)
/* IS_ENABLED - built in or module. */
#define IS_ENABLED(option) (IS_BUILTIN(option) || IS_MODULE(option))
#define IS_REACHABLE(option) IS_ENABLED(option)

#endif /* CMWQ_LINUX_KCONFIG_H */
