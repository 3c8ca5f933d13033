// src/kcompat/device.cpp - the life cycle of a user-space device: create, attach a driver, unbind,
// free; and dev_printk.
//
// The kernel's driver core (drivers/base/dd.c) binds a driver by calling probe(), unwinds a failed
// probe() by releasing the device's devres, and detaches a driver by calling remove() and then
// devres_release_all(). cmwq keeps that order exactly, because it is what makes devres teardown
// safe: whatever probe() registered last is released first. There is no bus and no matching: a
// program creates a device and attaches a driver to it (or just uses devm_*() on a fresh device,
// which is "bound" from birth).
#include <linux/device.h>

#include <cerrno>
#include <cstdarg>
#include <cstdio>
#include <cstring>
#include <new>

#include "core/context.hpp"
#include "core/warn.hpp"
#include "kcompat/devres.hpp"

using namespace cmwq;

namespace {

// Marks the device unbound. Returns false (and warns) if it was not bound.
bool take_bound(device* dev, const char* caller) {
  device_private* p = dev->p;
  {
    core::lock_guard g(p->lock);
    if (p->bound) {
      p->bound = false;
      return true;
    }
  }
  CMWQ_WARN("%s: device %s is not bound (unbound twice?)", caller, dev->name);
  return false;
}

}  // namespace

extern "C" {

struct device* cmwq_device_new(const char* name) {
  auto* dev = new (std::nothrow) device{};
  if (!dev) return nullptr;
  auto* p = new (std::nothrow) device_private;
  if (!p) {
    delete dev;
    return nullptr;
  }
  {
    core::lock_guard g(p->lock);
    p->head = p->tail = nullptr;
    p->bound = true;
  }
  std::snprintf(dev->name, sizeof dev->name, "%s", name ? name : "(null)");
  dev->p = p;
  return dev;
}

void cmwq_device_unbind(struct device* dev) {
  if (!dev) return;
  (core::might_sleep)("cmwq_device_unbind");
  if (!take_bound(dev, "cmwq_device_unbind")) return;
  // __device_release_driver(): remove() first, then the devres of the binding, newest first.
  const device_driver* drv = dev->driver;
  if (drv && drv->remove) (void)drv->remove(dev);
  kcompat::devres_release_all(dev);
  dev->driver = nullptr;
  dev->driver_data = nullptr;
}

void device_release_driver(struct device* dev) { cmwq_device_unbind(dev); }

void cmwq_device_free(struct device* dev) {
  if (!dev) return;
  bool bound;
  {
    core::lock_guard g(dev->p->lock);
    bound = dev->p->bound;
  }
  if (bound) cmwq_device_unbind(dev);
  // Entries registered after the unbind (the kernel releases them in device_release()).
  kcompat::devres_release_all(dev);
  delete dev->p;
  delete dev;
}

bool cmwq_device_is_bound(const struct device* dev) {
  core::lock_guard g(dev->p->lock);
  return dev->p->bound;
}

int device_driver_attach(const struct device_driver* drv, struct device* dev) {
  if (!drv || !dev) return -EINVAL;
  (core::might_sleep)("device_driver_attach");
  {
    core::lock_guard g(dev->p->lock);
    if (dev->driver) return -EBUSY;
    dev->driver = drv;
    dev->p->bound = true;
  }
  int ret = drv->probe ? drv->probe(dev) : 0;
  if (ret == 0) return 0;
  // really_probe() failure path: unwind what the failed probe() registered, then forget it.
  cmwq_dev_printk("4", dev, "probe of %s failed with error %d", dev->name, ret);
  kcompat::devres_release_all(dev);
  {
    core::lock_guard g(dev->p->lock);
    dev->driver = nullptr;
  }
  dev->driver_data = nullptr;
  return ret;
}

void cmwq_dev_printk(const char* level, const struct device* dev, const char* fmt, ...) {
  (void)level;  // the sink has no levels; the level stays in the macro name for the reader
  char msg[768];
  va_list ap;
  va_start(ap, fmt);
  std::vsnprintf(msg, sizeof msg, fmt, ap);
  va_end(ap);
  if (!dev)
    core::log_line("(NULL device *): %s", msg);
  else if (dev->driver && dev->driver->name)
    core::log_line("%s %s: %s", dev->driver->name, dev->name, msg);
  else
    core::log_line("%s: %s", dev->name, msg);
}

}  // extern "C"
