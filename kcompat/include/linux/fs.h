/* SPDX-License-Identifier: MIT */
/*
 * linux/fs.h - just enough of the VFS for modules that tune workqueues through sysfs.
 *
 *   struct file, filp_open(), filp_close(), kernel_read(), kernel_write(), O_* flags.
 *
 * Paths under /sys/bus/workqueue/devices/<name>/<attr> and /sys/devices/virtual/workqueue/
 * reach cmwq's WQ_SYSFS attribute table (linux/workqueue_attrs.h, docs/attrs.md) with the
 * kernel's reading format and error codes: a read-only attribute refuses to open for writing
 * (-EACCES), an unknown queue or attribute does not exist (-ENOENT), a bad value fails the write
 * (-EINVAL, ...) and changes nothing. Every other path is a real file of the process's file
 * system. None of these calls may be used from atomic context (they may sleep).
 */
#ifndef CMWQ_LINUX_FS_H
#define CMWQ_LINUX_FS_H

/* The user-space API part first, as the kernel's fs.h includes uapi/linux/fs.h (BLK*, FS_IOC_*). */
#include_next <linux/fs.h>

#include <fcntl.h>
#include <sys/types.h>

#include <linux/atomic.h>
#include <linux/bug.h>
#include <linux/compiler.h>
#include <linux/err.h>
#include <linux/list.h>
#include <linux/mutex.h>
#include <linux/slab.h>
#include <linux/spinlock.h>
#include <linux/types.h>
#include <linux/wait.h>

typedef unsigned short umode_t;
typedef void *fl_owner_t;

/* An open file. f_pos is the position kernel_read()/kernel_write() use when passed NULL. */
struct file {
	loff_t f_pos;
	unsigned int f_flags;
	void *cmwq_private; /* cmwq's own state; do not touch */
};

CMWQ_EXTERN_C_BEGIN

/**
 * filp_open - open a file from kernel code
 * @filename: absolute path; workqueue sysfs paths reach the attribute table
 * @flags: O_RDONLY, O_WRONLY, O_RDWR, and for real files O_CREAT, O_TRUNC, O_APPEND, ...
 * @mode: permissions of a file created with O_CREAT
 *
 * Context: process context, may sleep.
 * Return: the file, or ERR_PTR(-errno): -ENOENT for a queue or attribute that does not exist,
 * -EACCES when opening a read-only attribute for writing, -ENOMEM, or open(2)'s error.
 */
struct file *filp_open(const char *filename, int flags, umode_t mode);

/**
 * filp_close - close a file opened by filp_open()
 * @filp: the file
 * @id: ignored (the kernel's owner id; pass NULL)
 *
 * Return: 0, or close(2)'s error for a real file.
 */
int filp_close(struct file *filp, fl_owner_t id);

/**
 * kernel_read - read from a file
 * @file: the file
 * @buf: destination
 * @count: bytes wanted
 * @pos: the offset to read at, advanced by what was read; NULL uses and advances @file->f_pos
 *
 * An attribute reads as the kernel prints it ("4\n"), freshly at each read.
 * Return: bytes read (0 at the end), or -errno (-EBADF if not opened for reading).
 */
ssize_t kernel_read(struct file *file, void *buf, size_t count, loff_t *pos);

/**
 * kernel_write - write to a file
 * @file: the file
 * @buf: the data; for an attribute, the whole value ("4" or "4\n")
 * @count: its length
 * @pos: as for kernel_read()
 *
 * Return: @count (bytes written), or -errno: for an attribute the error of its store (-EINVAL for
 * a bad value, nothing changed); -EBADF if not opened for writing.
 */
ssize_t kernel_write(struct file *file, const void *buf, size_t count, loff_t *pos);

CMWQ_EXTERN_C_END

#endif /* CMWQ_LINUX_FS_H */
