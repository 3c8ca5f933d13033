/* SPDX-License-Identifier: MIT */
/* linux/irqreturn.h - what an interrupt handler returns. */
#ifndef CMWQ_LINUX_IRQRETURN_H
#define CMWQ_LINUX_IRQRETURN_H

/*
 * enum irqreturn
 * @IRQ_NONE: the interrupt was not from this device (or was not handled)
 * @IRQ_HANDLED: the handler dealt with it
 * @IRQ_WAKE_THREAD: (hard handler of a threaded interrupt) run the thread handler now
 */
enum irqreturn {
	IRQ_NONE = 0,
	IRQ_HANDLED = 1 << 0,
	IRQ_WAKE_THREAD = 1 << 1,
};

typedef enum irqreturn irqreturn_t;

#define IRQ_RETVAL(x) ((x) ? IRQ_HANDLED : IRQ_NONE)

#endif /* CMWQ_LINUX_IRQRETURN_H */
