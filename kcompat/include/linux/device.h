/* SPDX-License-Identifier: MIT */
/*
 * linux/device.h - devices, drivers and device-managed resources (devres) for kernel-style code.
 *
 *   struct device          a device: name, driver data, bound driver, and a devres list.
 *   struct device_driver   probe()/remove() of a driver, bound with device_driver_attach().
 *   devm_add_action*(), devm_remove_action(), devm_release_action()
 *                          run a function when the driver detaches (LIFO with every devm resource).
 *   devm_kmalloc(), devm_kzalloc(), devm_kcalloc(), devm_kstrdup(), devm_kfree()
 *                          memory freed when the driver detaches.
 *   devm_alloc_workqueue(), devm_alloc_ordered_workqueue()
 *                          a workqueue destroyed (drained) when the driver detaches.
 *   dev_err()/dev_warn()/dev_notice()/dev_info()/dev_dbg()
 *                          printk with the device's name as prefix.
 *   cmwq_device_new(), cmwq_device_unbind(), cmwq_device_free()
 *                          the user-space life cycle of a device (cmwq extension).
 *
 * The model (semantics.md section 8). A device is created bound: from cmwq_device_new() until
 * cmwq_device_unbind() (or device_release_driver()) its driver side is alive, and every devm_*()
 * call registers a release action on the device's devres list. Unbinding calls the driver's
 * remove() (if a driver was attached with device_driver_attach()) and then runs every action in
 * the reverse order of registration, as the kernel's devres_release_all() does after remove().
 * A probe() that fails is unwound the same way. Actions registered after the unbind run when the
 * device is freed.
 *
 * The teardown-order hazard. Because release is LIFO, the order of devm_*() calls in probe() is
 * the teardown order, reversed: allocate the workqueue first, then the work items queued on it,
 * then the interrupt that queues them, so the interrupt is freed first, the items are cancelled
 * next and the queue is destroyed last. Mixing devm and manual teardown breaks this: a driver that
 * destroys a plain alloc_workqueue() queue in remove() while its interrupt is devm-managed lets
 * the interrupt run after remove() and queue on a destroyed queue. In the kernel that is a
 * use-after-free; cmwq warns (D2/D3 in semantics.md) and drops the item. docs/drivers.md has the
 * whole story.
 *
 * Locking: each device's devres list has its own lock; every call here is thread-safe. Release
 * actions run without that lock held, one at a time, on the thread that unbinds.
 *
 * Compiles as C11 (gcc -std=gnu11) and as C++.
 */
#ifndef CMWQ_LINUX_DEVICE_H
#define CMWQ_LINUX_DEVICE_H

#include <linux/compiler.h>
#include <linux/slab.h>
#include <linux/types.h>
#include <linux/workqueue.h>
/* What the kernel's <linux/device.h> brings in as well (kernel code relies on it). */
#include <linux/atomic.h>
#include <linux/gfp.h>
#include <linux/kernel.h>
#include <linux/list.h>
#include <linux/mutex.h>
#include <linux/spinlock.h>
#include <linux/wait.h>

struct device_private;
struct device_driver;

/*
 * struct device - a device as drivers see it.
 * @name: dev_name(); set by cmwq_device_new(), never changes.
 * @driver_data: dev_get_drvdata()/dev_set_drvdata(); owned by the driver.
 * @driver: the attached driver, NULL when none (written by attach/unbind only).
 * @p: cmwq's private part (devres list, lock, bound state): never touch it.
 */
struct device {
	char name[64];
	void *driver_data;
	const struct device_driver *driver;
	struct device_private *p;
};

/*
 * struct device_driver - what device_driver_attach() binds to a device.
 * @name: used as a prefix by dev_*() printk.
 * @probe: called by device_driver_attach(); 0 binds, an error unwinds every devres registered
 *         so far (LIFO) and detaches the driver.
 * @remove: called by cmwq_device_unbind() before the devres actions run; may be NULL. Its
 *          return value is ignored, as in the kernel.
 */
struct device_driver {
	const char *name;
	int (*probe)(struct device *dev);
	int (*remove)(struct device *dev);
};

typedef void (*cmwq_devres_action_t)(void *data);

CMWQ_EXTERN_C_BEGIN

/* ---- the user-space life cycle (cmwq extensions) ---------------------------------------------- */

/*
 * cmwq_device_new - create a device, bound, with an empty devres list and no driver
 * @name: dev_name() (truncated to 63 characters)
 * Context: process context (allocates).
 * Return: the device, or NULL when out of memory.
 */
struct device *cmwq_device_new(const char *name);

/*
 * cmwq_device_unbind - detach the driver: remove(), then every devres action in LIFO order
 * @dev: a bound device
 *
 * Runs on the calling thread and returns when the last action returned: after it, nothing the
 * driver registered with devm_*() runs any more (devm interrupts are freed, devm work items
 * cancelled, devm workqueues drained and destroyed). Unbinding a device that is not bound warns
 * and does nothing.
 * Context: process context; sleeps (release actions may wait).
 */
void cmwq_device_unbind(struct device *dev);

/*
 * cmwq_device_free - free a device: unbinds it if still bound, runs actions registered after the
 * unbind, frees it. @dev must not be used afterwards. NULL is ignored.
 * Context: process context; may sleep.
 */
void cmwq_device_free(struct device *dev);

/* cmwq_device_is_bound - true between cmwq_device_new() (or a re-attach) and the unbind. */
bool cmwq_device_is_bound(const struct device *dev);

/* cmwq_devres_outstanding - devres entries registered on any device and not yet released. */
size_t cmwq_devres_outstanding(void);

/*
 * cmwq_fault_fail_devres - make every devres registration fail (true) or work again (false).
 * Test hook (semantics.md assertion 118): devm_add_action() returns -ENOMEM, devm_kmalloc()
 * returns NULL, devm_alloc_workqueue() destroys its queue and returns NULL. The shorthand of
 * cmwq_fault_inject("devres") / ("devres:probability=0") (linux/fault-inject.h).
 */
void cmwq_fault_fail_devres(bool fail);

/* ---- drivers ------------------------------------------------------------------------------------ */

/*
 * device_driver_attach - bind @drv to @dev and call its probe()
 * Return: 0; -EBUSY if @dev already has a driver; -EINVAL for NULL arguments; or probe()'s error,
 * after the devres registered by the failed probe() were released.
 * Context: process context; sleeps. An unbound device is bound again (rebinding).
 */
int device_driver_attach(const struct device_driver *drv, struct device *dev);

/* device_release_driver - the kernel's name for cmwq_device_unbind(). */
void device_release_driver(struct device *dev);

static inline const char *dev_name(const struct device *dev)
{
	return dev->name;
}
static inline void *dev_get_drvdata(const struct device *dev)
{
	return dev->driver_data;
}
static inline void dev_set_drvdata(struct device *dev, void *data)
{
	dev->driver_data = data;
}

/* ---- device-managed actions ------------------------------------------------------------------- */

/*
 * devm_add_action - run @action(@data) when @dev's driver detaches
 * Return: 0, or -ENOMEM when the entry cannot be allocated (nothing else happens).
 * Context: may sleep (allocates with GFP_KERNEL).
 */
int devm_add_action(struct device *dev, void (*action)(void *), void *data);

/*
 * devm_add_action_or_reset - like devm_add_action(), but when registration fails it calls
 * @action(@data) at once and returns the error, so the caller has nothing to undo.
 */
int devm_add_action_or_reset(struct device *dev, void (*action)(void *), void *data);

/* devm_remove_action - forget the newest matching action without calling it (WARN if none). */
void devm_remove_action(struct device *dev, void (*action)(void *), void *data);

/* devm_release_action - forget the newest matching action and call it now (WARN if none). */
void devm_release_action(struct device *dev, void (*action)(void *), void *data);

/* ---- device-managed memory -------------------------------------------------------------------- */

/*
 * devm_kmalloc - memory freed when @dev's driver detaches
 * @gfp: GFP_KERNEL may sleep (and warns in atomic context), GFP_ATOMIC/GFP_NOWAIT do not.
 * Return: at least max_align_t-aligned memory, or NULL (also when devres registration fails).
 */
void *devm_kmalloc(struct device *dev, size_t size, gfp_t gfp) __attribute__((malloc));
/* devm_kzalloc - devm_kmalloc() of zeroed memory. */
void *devm_kzalloc(struct device *dev, size_t size, gfp_t gfp) __attribute__((malloc));
/* devm_kcalloc - zeroed array of @n elements of @size bytes; NULL on overflow. */
void *devm_kcalloc(struct device *dev, size_t n, size_t size, gfp_t gfp) __attribute__((malloc));
/* devm_kmalloc_array - devm_kmalloc() of @n elements of @size bytes; NULL on overflow. */
void *devm_kmalloc_array(struct device *dev, size_t n, size_t size, gfp_t gfp) __attribute__((malloc));
/* devm_kstrdup - device-managed copy of @s (NULL for NULL). */
char *devm_kstrdup(struct device *dev, const char *s, gfp_t gfp) __attribute__((malloc));
/* devm_kfree - free devm memory early; WARN when @p is not devm memory of @dev. NULL is ignored. */
void devm_kfree(struct device *dev, const void *p);

/* ---- device-managed workqueues (kernel/workqueue.c) ------------------------------------------- */

/*
 * devm_alloc_workqueue - alloc_workqueue() destroyed when @dev's driver detaches
 * @dev: the device
 * @fmt, ...: printf format and arguments of the name
 * @flags, @max_active: as alloc_workqueue()
 *
 * On success registers destroy_workqueue() with devm_add_action_or_reset(): if that registration
 * fails the queue is destroyed at once and NULL returned (semantics.md assertion 118). At detach the
 * queue is drained (its pending items run) and destroyed.
 * Context: may sleep.
 * Return: the workqueue or NULL.
 */
struct workqueue_struct *devm_alloc_workqueue(struct device *dev, const char *fmt, unsigned int flags,
					      int max_active, ...) __printf(2, 5);

#define devm_alloc_ordered_workqueue(dev, fmt, flags, args...) \
	devm_alloc_workqueue(dev, fmt, WQ_UNBOUND | __WQ_ORDERED | (flags), 1, ##args)

/* ---- device printk ------------------------------------------------------------------------------ */

/*
 * cmwq_dev_printk - one log line "<driver> <device>: <message>" ("<device>: " without a driver).
 * @level: a KERN_* style level string ("3" err, "4" warning, "5" notice, "6" info, "7" debug)
 */
void cmwq_dev_printk(const char *level, const struct device *dev, const char *fmt, ...) __printf(3, 4);

CMWQ_EXTERN_C_END

#define dev_emerg(dev, fmt, ...) cmwq_dev_printk("0", (dev), fmt, ##__VA_ARGS__)
#define dev_alert(dev, fmt, ...) cmwq_dev_printk("1", (dev), fmt, ##__VA_ARGS__)
#define dev_crit(dev, fmt, ...) cmwq_dev_printk("2", (dev), fmt, ##__VA_ARGS__)
#define dev_err(dev, fmt, ...) cmwq_dev_printk("3", (dev), fmt, ##__VA_ARGS__)
#define dev_warn(dev, fmt, ...) cmwq_dev_printk("4", (dev), fmt, ##__VA_ARGS__)
#define dev_notice(dev, fmt, ...) cmwq_dev_printk("5", (dev), fmt, ##__VA_ARGS__)
#define dev_info(dev, fmt, ...) cmwq_dev_printk("6", (dev), fmt, ##__VA_ARGS__)
/* dev_dbg prints only when the file defines DEBUG, as without dynamic debug; always format-checked. */
#ifdef DEBUG
#define dev_dbg(dev, fmt, ...) cmwq_dev_printk("7", (dev), fmt, ##__VA_ARGS__)
#else
#define dev_dbg(dev, fmt, ...)                                          \
	do {                                                            \
		if (0)                                                  \
			cmwq_dev_printk("7", (dev), fmt, ##__VA_ARGS__); \
	} while (0)
#endif

#endif /* CMWQ_LINUX_DEVICE_H */
