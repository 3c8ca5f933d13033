/* SPDX-License-Identifier: MIT */
/*
 * Must NOT compile: a structure field named `jiffies`, as older drivers have. cmwq's jiffies is a
 * macro (docs/modules.md, "`jiffies` as a name"); ctest c.jiffies_name_test checks that the build
 * fails and that the compiler's message points at the macro from <linux/jiffies.h>.
 */
#include <linux/jiffies.h>

struct old_driver_stats {
	unsigned long jiffies;
};

int main(void)
{
	struct old_driver_stats s = { 0 };

	return (int)sizeof(s);
}
