// src/kcompat/devres.cpp - device-managed resources: devm actions, memory, workqueues, work items.
//
// The problem: a driver acquires resources in probe() in an order that makes sense (queue, then
// the items queued on it, then the interrupt that queues them) and must give them back in exactly
// the reverse order, on every error path of probe() and at remove(). devres turns each
// acquisition into an entry on the device's list; detaching the driver walks the list backwards.
// Semantics: semantics.md section 8 and assertions 115-118; kernel: drivers/base/devres.c,
// include/linux/devm-helpers.h, devm_alloc_workqueue() in kernel/workqueue.c.
//
// Locking: one mutex per device guards its list and bound flag; it is a leaf (no other lock is
// taken under it, and no callback runs under it). Release actions run on the unbinding thread
// with the lock dropped: they may sleep (free_irq waits for handlers, destroy_workqueue drains).
#include "kcompat/devres.hpp"

#include <linux/device.h>
#include <linux/devm-helpers.h>
#include <linux/slab.h>
#include <linux/workqueue.h>

#include <atomic>
#include <cerrno>
#include <cstdarg>
#include <cstdio>
#include <cstring>

#include "core/fault.hpp"
#include "core/warn.hpp"

namespace cmwq::kcompat {

struct devres_node {
  devres_node* prev;     // D: older neighbour
  devres_node* next;     // D: newer neighbour
  devres_action action;  // I: nullptr for memory entries
  void* arg;             // I: what `action` gets (data, or the payload)
  std::size_t size;      // I: payload bytes (0 for a plain action)
  bool memory;           // I: a devm_kmalloc() entry
};

namespace {

// The payload starts at the first max_align_t boundary after the header.
constexpr std::size_t payload_offset =
    (sizeof(devres_node) + alignof(std::max_align_t) - 1) / alignof(std::max_align_t) * alignof(std::max_align_t);

inline void* payload_of(devres_node* n) { return reinterpret_cast<char*>(n) + payload_offset; }

std::atomic<std::size_t> g_outstanding{0};  // X: relaxed counter of live entries (a statistic)

device_private* priv(device* dev) { return dev->p; }

void link_tail(device_private* p, devres_node* n) CMWQ_REQUIRES(p->lock) {
  n->next = nullptr;
  n->prev = p->tail;
  if (p->tail)
    p->tail->next = n;
  else
    p->head = n;
  p->tail = n;
}

void unlink(device_private* p, devres_node* n) CMWQ_REQUIRES(p->lock) {
  if (n->prev)
    n->prev->next = n->next;
  else
    p->head = n->next;
  if (n->next)
    n->next->prev = n->prev;
  else
    p->tail = n->prev;
  n->prev = n->next = nullptr;
}

void free_node(devres_node* n) {
  g_outstanding.fetch_sub(1, std::memory_order_relaxed);
  kfree(n);
}

}  // namespace

bool devres_add(device* dev, devres_action action, void* data, std::size_t payload_size, unsigned int gfp,
                bool memory, void** payload) noexcept {
  if (!dev || !dev->p) {
    CMWQ_WARN("devres: NULL device");
    return false;
  }
  if (payload_size > static_cast<std::size_t>(-1) - payload_offset) return false;
  if (core::should_fail(core::fault_point::devres)) return false;
  // kmalloc() checks the context for a sleeping @gfp and counts the bytes (leak report).
  auto* n = static_cast<devres_node*>(kmalloc(payload_offset + payload_size, gfp));
  if (!n) return false;
  n->action = action;
  n->size = payload_size;
  n->memory = memory;
  if (payload_size) {
    if (data)
      std::memcpy(payload_of(n), data, payload_size);
    else
      std::memset(payload_of(n), 0, payload_size);
    n->arg = payload_of(n);
  } else {
    n->arg = data;
  }
  g_outstanding.fetch_add(1, std::memory_order_relaxed);
  if (payload) *payload = payload_size ? n->arg : nullptr;
  device_private* p = priv(dev);
  {
    core::lock_guard g(p->lock);
    link_tail(p, n);
  }
  return true;
}

bool devres_find_remove(device* dev, devres_action action, devres_match match, const void* ctx, bool call) noexcept {
  if (!dev || !dev->p) return false;
  device_private* p = priv(dev);
  devres_node* found = nullptr;
  {
    core::lock_guard g(p->lock);
    for (devres_node* n = p->tail; n; n = n->prev) {
      if (n->action != action) continue;
      if (match ? match(n->arg, ctx) : n->arg == ctx) {
        found = n;
        unlink(p, n);
        break;
      }
    }
  }
  if (!found) return false;
  if (call && found->action) found->action(found->arg);
  free_node(found);
  return true;
}

void devres_release_all(device* dev) noexcept {
  device_private* p = priv(dev);
  devres_node* newest;
  {
    // Take the whole list: entries added by the actions themselves land on the (now empty)
    // device list and are released by a later unbind or by cmwq_device_free().
    core::lock_guard g(p->lock);
    newest = p->tail;
    p->head = p->tail = nullptr;
  }
  while (newest) {
    devres_node* n = newest;
    newest = n->prev;
    if (n->action) n->action(n->arg);
    free_node(n);
  }
}

}  // namespace cmwq::kcompat

using namespace cmwq;
using kcompat::devres_add;
using kcompat::devres_find_remove;

namespace {

bool mul_overflows(std::size_t n, std::size_t size, std::size_t* out) { return __builtin_mul_overflow(n, size, out); }

void devm_wq_release(void* wq) { destroy_workqueue(static_cast<workqueue_struct*>(wq)); }
void devm_work_drop(void* w) { cancel_work_sync(static_cast<work_struct*>(w)); }
void devm_delayed_work_drop(void* w) { cancel_delayed_work_sync(static_cast<delayed_work*>(w)); }

}  // namespace

extern "C" {

size_t cmwq_devres_outstanding(void) { return kcompat::g_outstanding.load(std::memory_order_relaxed); }

int devm_add_action(struct device* dev, void (*action)(void*), void* data) {
  if (!action) {
    CMWQ_WARN("devm_add_action: NULL action");
    return -EINVAL;
  }
  return devres_add(dev, action, data, 0, GFP_KERNEL, false, nullptr) ? 0 : -ENOMEM;
}

int devm_add_action_or_reset(struct device* dev, void (*action)(void*), void* data) {
  int ret = devm_add_action(dev, action, data);
  if (ret && action) action(data);
  return ret;
}

void devm_remove_action(struct device* dev, void (*action)(void*), void* data) {
  if (!devres_find_remove(dev, action, nullptr, data, false))
    CMWQ_WARN("devm_remove_action: no such action on device %s", dev ? dev->name : "(null)");
}

void devm_release_action(struct device* dev, void (*action)(void*), void* data) {
  if (!devres_find_remove(dev, action, nullptr, data, true))
    CMWQ_WARN("devm_release_action: no such action on device %s", dev ? dev->name : "(null)");
}

void* devm_kmalloc(struct device* dev, size_t size, gfp_t gfp) {
  // The kernel returns ZERO_SIZE_PTR for 0 bytes; a unique 1-byte entry is as good here.
  void* mem = nullptr;
  return devres_add(dev, nullptr, nullptr, size ? size : 1, gfp, true, &mem) ? mem : nullptr;
}

void* devm_kzalloc(struct device* dev, size_t size, gfp_t gfp) { return devm_kmalloc(dev, size, gfp); }

void* devm_kmalloc_array(struct device* dev, size_t n, size_t size, gfp_t gfp) {
  std::size_t bytes;
  if (mul_overflows(n, size, &bytes)) return nullptr;
  return devm_kmalloc(dev, bytes, gfp);
}

void* devm_kcalloc(struct device* dev, size_t n, size_t size, gfp_t gfp) {
  return devm_kmalloc_array(dev, n, size, gfp);
}

char* devm_kstrdup(struct device* dev, const char* s, gfp_t gfp) {
  if (!s) return nullptr;
  std::size_t len = std::strlen(s) + 1;
  auto* copy = static_cast<char*>(devm_kmalloc(dev, len, gfp));
  if (copy) std::memcpy(copy, s, len);
  return copy;
}

void devm_kfree(struct device* dev, const void* p) {
  if (!p) return;
  auto same = [](void* arg, const void* ctx) { return arg == ctx; };
  if (!devres_find_remove(dev, nullptr, same, p, false))
    CMWQ_WARN("devm_kfree: %p is not devm memory of device %s", p, dev ? dev->name : "(null)");
}

struct workqueue_struct* devm_alloc_workqueue(struct device* dev, const char* fmt, unsigned int flags,
                                              int max_active, ...) {
  // alloc_workqueue() takes a format, not a va_list: format the name here and pass it through
  // "%s", so that its own length check (and truncation warning) still sees the whole name.
  char name[256];
  va_list ap;
  va_start(ap, max_active);
  std::vsnprintf(name, sizeof name, fmt, ap);
  va_end(ap);
  workqueue_struct* wq = alloc_workqueue("%s", flags, max_active, name);
  if (!wq) return nullptr;
  // _or_reset: when registration fails the queue is destroyed at once (assertion 118).
  if (devm_add_action_or_reset(dev, devm_wq_release, wq)) return nullptr;
  return wq;
}

int devm_work_autocancel(struct device* dev, struct work_struct* w, work_func_t worker) {
  INIT_WORK(w, worker);
  return devm_add_action(dev, devm_work_drop, w);
}

int devm_delayed_work_autocancel(struct device* dev, struct delayed_work* w, work_func_t worker) {
  INIT_DELAYED_WORK(w, worker);
  return devm_add_action(dev, devm_delayed_work_drop, w);
}

}  // extern "C"
