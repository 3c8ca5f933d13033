/* SPDX-License-Identifier: MIT */
/*
 * linux/export.h - EXPORT_SYMBOL() and its variants. In one process every non-static symbol is
 * visible already, so they only check that the symbol exists and expand to a harmless
 * declaration (the trailing semicolon stays valid at file scope in C and C++).
 */
#ifndef CMWQ_LINUX_EXPORT_H
#define CMWQ_LINUX_EXPORT_H

#define EXPORT_SYMBOL(sym) extern int cmwq_export_symbol_unused[sizeof(&(sym)) ? 1 : 1]
#define EXPORT_SYMBOL_GPL(sym) EXPORT_SYMBOL(sym)
#define EXPORT_SYMBOL_NS(sym, ns) EXPORT_SYMBOL(sym)
#define EXPORT_SYMBOL_NS_GPL(sym, ns) EXPORT_SYMBOL(sym)

#endif /* CMWQ_LINUX_EXPORT_H */
