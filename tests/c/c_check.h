/* SPDX-License-Identifier: MIT */
/*
 * tests/c/c_check.h - the checks of the plain-C tests (gnu11).
 *
 *   CHECK(cond)       print the failed condition and exit(1)
 *   WAIT_UNTIL(cond)  poll @cond every millisecond (msleep) for up to c_check_deadline_ms; its value
 */
#ifndef CMWQ_TESTS_C_CHECK_H
#define CMWQ_TESTS_C_CHECK_H

#include <stdio.h>
#include <stdlib.h>

#include <linux/delay.h>

#define CHECK(cond)                                                                             \
	do {                                                                                    \
		if (!(cond)) {                                                                  \
			fprintf(stderr, "%s:%d: check failed: %s\n", __FILE__, __LINE__, #cond); \
			exit(1);                                                                \
		}                                                                               \
	} while (0)

enum { c_check_deadline_ms = 10000 };

#define WAIT_UNTIL(cond)                                                           \
	({                                                                         \
		int cmwq_ms = 0;                                                   \
		while (!(cond) && cmwq_ms++ < c_check_deadline_ms)                 \
			msleep(1);                                                 \
		(bool)(cond);                                                      \
	})

#endif /* CMWQ_TESTS_C_CHECK_H */
