// SPDX-License-Identifier: MIT
/*
 * sysfs_tune.c - a module that tunes its own WQ_SYSFS workqueue through sysfs files.
 *
 * Administrators and modules alike tune a WQ_SYSFS queue by writing
 * /sys/bus/workqueue/devices/<name>/max_active (and nice, cpumask, ... for unbound queues).
 * This module opens its queue's max_active with filp_open(), writes 1 with kernel_write(), reads
 * it back with kernel_read(), and then checks that the queue really runs one item at a time.
 * It also checks that a bad value is refused with -EINVAL and leaves the value alone, and moves
 * the queue to nice 5 through the nice file.
 *
 *   ./sysfs_tune            prints "max_active 1 respected" and exits 0, or fails to load
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/atomic.h>
#include <linux/delay.h>
#include <linux/errno.h>
#include <linux/fs.h>
#include <linux/kernel.h>
#include <linux/module.h>
#include <linux/printk.h>
#include <linux/string.h>
#include <linux/workqueue.h>

#define NR_ITEMS 4
#define ATTR_DIR "/sys/bus/workqueue/devices/sysfs_tune/"

static struct workqueue_struct *tune_wq;
static struct work_struct items[NR_ITEMS];
static atomic_t running = ATOMIC_INIT(0);
static atomic_t overlaps = ATOMIC_INIT(0);

static void tune_item(struct work_struct *work)
{
	(void)work;
	if (atomic_inc_return(&running) > 1)
		atomic_inc(&overlaps);
	msleep(10);
	atomic_dec(&running);
}

/*
 * One open, one transfer, one close, as a sysfs attribute is used: writes @value if it is not
 * NULL, else reads into @buf (NUL-terminated, @size bytes). Returns the transfer's result.
 */
static ssize_t attr_io(const char *path, const char *value, char *buf, size_t size)
{
	struct file *f = filp_open(path, value ? O_WRONLY : O_RDONLY, 0);
	loff_t pos = 0;
	ssize_t ret;

	if (IS_ERR(f))
		return PTR_ERR(f);
	if (value) {
		ret = kernel_write(f, value, strlen(value), &pos);
	} else {
		ret = kernel_read(f, buf, size - 1, &pos);
		buf[ret > 0 ? ret : 0] = '\0';
	}
	filp_close(f, NULL);
	return ret;
}

static ssize_t write_attr(const char *path, const char *value)
{
	return attr_io(path, value, NULL, 0);
}

static ssize_t read_attr(const char *path, char *buf, size_t size)
{
	return attr_io(path, NULL, buf, size);
}

static int tune_check(void)
{
	char buf[32];
	ssize_t ret;
	int i;

	ret = write_attr(ATTR_DIR "max_active", "1\n");
	if (ret < 0) {
		pr_err("writing max_active failed: %zd\n", ret);
		return (int)ret;
	}
	ret = write_attr(ATTR_DIR "max_active", "0");
	if (ret != -EINVAL) {
		pr_err("max_active 0 was not refused with -EINVAL: %zd\n", ret);
		return -EIO;
	}
	if (read_attr(ATTR_DIR "max_active", buf, sizeof(buf)) < 0 || strcmp(buf, "1\n") != 0) {
		pr_err("max_active reads back as '%s', not 1\n", buf);
		return -EIO;
	}
	if (write_attr(ATTR_DIR "nice", "5") < 0 || read_attr(ATTR_DIR "nice", buf, sizeof(buf)) < 0 || strcmp(buf, "5\n") != 0) {
		pr_err("nice did not change to 5\n");
		return -EIO;
	}
	for (i = 0; i < NR_ITEMS; i++) {
		INIT_WORK(&items[i], tune_item);
		queue_work(tune_wq, &items[i]);
	}
	flush_workqueue(tune_wq);
	if (atomic_read(&overlaps) != 0) {
		pr_err("%d items overlapped despite max_active 1\n", atomic_read(&overlaps));
		return -EIO;
	}
	pr_info("max_active 1 respected by %d items\n", NR_ITEMS);
	return 0;
}

static int __init tune_init(void)
{
	int ret;

	tune_wq = alloc_workqueue("sysfs_tune", WQ_UNBOUND | WQ_SYSFS, 8);
	if (!tune_wq)
		return -ENOMEM;
	ret = tune_check();
	if (ret)
		destroy_workqueue(tune_wq);
	return ret;
}

static void __exit tune_exit(void)
{
	destroy_workqueue(tune_wq);
}

module_init(tune_init);
module_exit(tune_exit);
MODULE_LICENSE("GPL");
MODULE_DESCRIPTION("tune a WQ_SYSFS workqueue through filp_open/kernel_write");
