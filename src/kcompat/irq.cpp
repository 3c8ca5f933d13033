// src/kcompat/irq.cpp - simulated interrupt lines: hard handlers on an "irq/<n>" thread in
// hard-interrupt context, threaded handlers on "irq/<n>-<name>" threads, and the synchronisation
// that makes free_irq() a teardown barrier.
//
// The problem. A driver's interrupt handler is the one piece of driver code that runs without
// being asked: it can fire at any moment until free_irq() returns, including while remove() tears
// down what the handler uses. The kernel makes free_irq() wait (synchronize_irq) for a running
// handler, so that after it returns the handler is provably dead; everything in devres teardown
// rests on that. This file keeps exactly that guarantee.
//
// The approach. Each line with handlers has a descriptor with a FIFO of raise requests and one
// hard-IRQ thread that serves them one at a time: under the descriptor lock it takes a request,
// checks that the line has handlers and is enabled, snapshots the handler list and marks the line
// in progress; then it runs the hard handlers with the lock dropped, between hardirq_enter() and
// hardirq_exit(); then it wakes the thread handlers that were asked for and waits for them; then
// it clears in progress and completes the request. free_irq() unlinks the action under the lock
// (later interrupts cannot see it) and then waits until the line is not in progress (the snapshot
// that may still hold it is gone): after that no handler of the action runs, and its threads are
// stopped and joined. Lines are served one interrupt at a time, as if IRQF_ONESHOT were always
// set; this keeps "raise returns after the handlers ran" exact and cheap.
//
// Lock order: request_mutex (per line: request/free serialised, like the kernel's
// desc->request_mutex) -> lock (per line). Handlers never run under either lock.
#include <linux/device.h>
#include <linux/interrupt.h>

#include <pthread.h>

#include <array>
#include <atomic>
#include <cerrno>
#include <climits>
#include <condition_variable>
#include <cstdio>
#include <mutex>
#include <system_error>
#include <thread>
#include <vector>

#include "core/context.hpp"
#include "core/warn.hpp"
#include "kcompat/devres.hpp"

using namespace cmwq;

namespace {

constexpr unsigned int no_line = UINT_MAX;

// The line whose handler the calling thread is running (hard or threaded), or no_line.
thread_local unsigned int t_irq_line = no_line;

struct irq_desc;

// Guard letters: R = irq_desc::lock, Q = irq_desc::request_mutex.
struct irq_action {
  irq_handler_t handler;     // I
  irq_handler_t thread_fn;   // I: nullptr without a thread
  unsigned long flags;       // I
  const char* name;          // I: the caller's string, returned by free_irq()
  void* dev_id;              // I
  irq_action* next;          // R: the line's action list
  std::thread thread;        // Q: the thread handler's thread
  std::condition_variable thread_cv;  // wakes the thread handler (waits on R)
  unsigned long long thread_req = 0;  // R: wake-ups asked for
  unsigned long long thread_done = 0; // R: wake-ups served
  bool thread_stop = false;           // R
  bool warned_no_thread = false;      // hard thread only
};

struct raise_req {
  raise_req* next = nullptr;
  int result = 0;
  bool done = false;
};

struct irq_desc {
  unsigned int irq;                    // I
  std::mutex request_mutex;            // Q: serialises request/free on the line
  std::mutex lock;                     // R
  std::condition_variable work_cv;     // hard thread waits here for requests (R)
  std::condition_variable done_cv;     // raisers, synchronizers, the hard thread wait here (R)
  irq_action* actions = nullptr;       // R
  int depth = 0;                       // R: disable depth
  bool latched = false;                // R: an interrupt arrived while disabled
  bool replay = false;                 // R: deliver the latched interrupt (set by enable_irq)
  bool in_progress = false;            // R: the hard thread is delivering an interrupt
  raise_req* q_head = nullptr;         // R: FIFO of raise requests
  raise_req* q_tail = nullptr;         // R
  bool hard_stop = false;              // R
  std::thread hard_thread;             // Q
  std::vector<irq_action*> snapshot;   // hard thread only
  std::vector<irq_action*> woken;      // hard thread only
  cmwq_irq_stats stats{};              // R
};

std::array<std::atomic<irq_desc*>, CMWQ_NR_IRQS> g_descs{};  // X: published once with release
std::mutex g_descs_mutex;                                     // creation of descriptors
std::atomic<std::size_t> g_actions_installed{0};             // X: relaxed statistic

irq_desc* find_desc(unsigned int irq) {
  if (irq >= CMWQ_NR_IRQS) return nullptr;
  // Pairs with the release store in get_desc(): a non-null pointer comes with its object.
  return g_descs[irq].load(std::memory_order_acquire);
}

irq_desc* get_desc(unsigned int irq) {
  if (irq >= CMWQ_NR_IRQS) return nullptr;
  if (irq_desc* d = find_desc(irq)) return d;
  std::lock_guard<std::mutex> g(g_descs_mutex);
  irq_desc* d = g_descs[irq].load(std::memory_order_relaxed);
  if (!d) {
    // Descriptors live as long as the process (the table keeps them reachable): a handler or a
    // raiser may hold a pointer at any time, and there are at most CMWQ_NR_IRQS of them.
    d = new irq_desc;
    d->irq = irq;
    g_descs[irq].store(d, std::memory_order_release);
  }
  return d;
}

void set_thread_name(const char* name) { pthread_setname_np(pthread_self(), name); }

void complete_req(irq_desc* d, raise_req* r, int result) {
  r->result = result;
  r->done = true;
  d->done_cv.notify_all();
}

// The default hard handler of a threaded interrupt requested with handler == NULL.
irqreturn_t default_primary_handler(int, void*) { return IRQ_WAKE_THREAD; }

// Runs one interrupt's hard handlers and the thread handlers they woke.
// Called with `lk` held; returns with it held; drops it around every handler.
void deliver(irq_desc* d, std::unique_lock<std::mutex>& lk) {
  d->snapshot.clear();
  for (irq_action* a = d->actions; a; a = a->next) d->snapshot.push_back(a);
  d->in_progress = true;
  ++d->stats.delivered;
  lk.unlock();

  d->woken.clear();
  bool handled = false;
  core::hardirq_enter();
  for (irq_action* a : d->snapshot) {
    irqreturn_t ret = a->handler(static_cast<int>(d->irq), a->dev_id);
    if (ret != IRQ_NONE) handled = true;
    if (ret & IRQ_WAKE_THREAD) {
      if (a->thread_fn) {
        d->woken.push_back(a);
      } else if (!a->warned_no_thread) {
        a->warned_no_thread = true;
        CMWQ_WARN("IRQ %u device %s returned IRQ_WAKE_THREAD but no thread function available.",
                  d->irq, a->name ? a->name : "");
      }
    }
  }
  core::hardirq_exit();

  lk.lock();
  if (handled)
    ++d->stats.handled;
  else
    ++d->stats.unhandled;
  for (irq_action* a : d->woken) {
    ++a->thread_req;
    a->thread_cv.notify_one();
  }
  // Behave as IRQF_ONESHOT: the next interrupt waits for the thread handlers. free_irq() cannot
  // stop these threads meanwhile: it waits for !in_progress before it stops anything.
  for (irq_action* a : d->woken) d->done_cv.wait(lk, [&] { return a->thread_done == a->thread_req; });
  d->in_progress = false;
  d->done_cv.notify_all();
}

void hard_thread_main(irq_desc* d) {
  char name[16];
  std::snprintf(name, sizeof name, "irq/%u", d->irq);
  set_thread_name(name);
  t_irq_line = d->irq;
  std::unique_lock<std::mutex> lk(d->lock);
  for (;;) {
    d->work_cv.wait(lk, [&] { return d->q_head || d->replay || d->hard_stop; });
    if (d->replay) {
      d->replay = false;
      if (d->actions && d->depth == 0) {
        ++d->stats.replayed;
        deliver(d, lk);
      }
      continue;
    }
    raise_req* r = d->q_head;
    if (!r) break;  // hard_stop and nothing left to answer
    d->q_head = r->next;
    if (!d->q_head) d->q_tail = nullptr;
    if (!d->actions) {
      ++d->stats.lost;
      complete_req(d, r, -ENOENT);
    } else if (d->depth > 0) {
      ++d->stats.latched;
      d->latched = true;
      complete_req(d, r, -EAGAIN);
    } else {
      deliver(d, lk);
      complete_req(d, r, 0);
    }
  }
}

void thread_handler_main(irq_desc* d, irq_action* a) {
  char name[16];
  std::snprintf(name, sizeof name, "irq/%u-%s", d->irq, a->name ? a->name : "");
  set_thread_name(name);
  t_irq_line = d->irq;
  std::unique_lock<std::mutex> lk(d->lock);
  for (;;) {
    a->thread_cv.wait(lk, [&] { return a->thread_req != a->thread_done || a->thread_stop; });
    if (a->thread_req == a->thread_done) break;  // stopped, nothing owed
    unsigned long long target = a->thread_req;
    lk.unlock();
    (void)a->thread_fn(static_cast<int>(d->irq), a->dev_id);
    lk.lock();
    a->thread_done = target;
    ++d->stats.threaded;
    d->done_cv.notify_all();
  }
}

// Waits until no handler of the line runs. Returns false (after a warning) when called from one
// of the line's own handlers, where waiting would deadlock.
bool wait_not_in_progress(irq_desc* d, std::unique_lock<std::mutex>& lk, const char* caller) {
  if (t_irq_line == d->irq) {
    lk.unlock();
    CMWQ_WARN("%s(%u) called from a handler of the same interrupt: would deadlock, not waiting", caller, d->irq);
    lk.lock();
    return false;
  }
  d->done_cv.wait(lk, [&] { return !d->in_progress && !d->replay; });
  return true;
}

}  // namespace

extern "C" {

int request_threaded_irq(unsigned int irq, irq_handler_t handler, irq_handler_t thread_fn, unsigned long irqflags,
                         const char* devname, void* dev_id) {
  if (irq >= CMWQ_NR_IRQS) return -EINVAL;
  if (!handler && !thread_fn) return -EINVAL;
  if ((irqflags & IRQF_SHARED) && !dev_id) return -EINVAL;
  if (!handler) {
    if (!(irqflags & IRQF_ONESHOT)) {
      core::log_line("genirq: Threaded irq requested with handler=NULL and !ONESHOT for %s (irq %u)",
                     devname ? devname : "", irq);
      return -EINVAL;
    }
    handler = default_primary_handler;
  }
  (core::might_sleep)("request_threaded_irq");
  irq_desc* d = get_desc(irq);
  if (!d) return -ENOMEM;

  std::lock_guard<std::mutex> rq(d->request_mutex);
  {
    std::lock_guard<std::mutex> g(d->lock);
    if (irq_action* old = d->actions) {
      bool shareable = (old->flags & irqflags & IRQF_SHARED) && !((old->flags ^ irqflags) & IRQF_ONESHOT);
      if (!shareable) {
        core::log_line("genirq: Flags mismatch irq %u. %08lx (%s) vs. %08lx (%s)", irq, irqflags,
                       devname ? devname : "", old->flags, old->name ? old->name : "");
        return -EBUSY;
      }
    }
  }
  auto* a = new (std::nothrow) irq_action;
  if (!a) return -ENOMEM;
  a->handler = handler;
  a->thread_fn = thread_fn;
  a->flags = irqflags;
  a->name = devname;
  a->dev_id = dev_id;
  a->next = nullptr;
  try {
    if (thread_fn) a->thread = std::thread(thread_handler_main, d, a);
    if (!d->hard_thread.joinable()) {
      {
        std::lock_guard<std::mutex> g(d->lock);
        d->hard_stop = false;
      }
      d->hard_thread = std::thread(hard_thread_main, d);
    }
  } catch (const std::system_error&) {
    if (a->thread.joinable()) {
      {
        std::lock_guard<std::mutex> g(d->lock);
        a->thread_stop = true;
      }
      a->thread_cv.notify_one();
      a->thread.join();
    }
    delete a;
    return -ENOMEM;
  }
  {
    std::lock_guard<std::mutex> g(d->lock);
    irq_action** pp = &d->actions;
    bool first = !*pp;
    while (*pp) pp = &(*pp)->next;
    *pp = a;
    if (first) {
      d->depth = (irqflags & IRQF_NO_AUTOEN) ? 1 : 0;
      d->latched = false;
    }
    ++d->stats.actions;
  }
  g_actions_installed.fetch_add(1, std::memory_order_relaxed);
  return 0;
}

int request_irq(unsigned int irq, irq_handler_t handler, unsigned long flags, const char* name, void* dev) {
  if (!handler) return -EINVAL;
  return request_threaded_irq(irq, handler, nullptr, flags, name, dev);
}

const void* free_irq(unsigned int irq, void* dev_id) {
  irq_desc* d = find_desc(irq);
  if (!d) {
    CMWQ_WARN("Trying to free already-free IRQ %u", irq);
    return nullptr;
  }
  (core::might_sleep)("free_irq");
  if (t_irq_line == irq) {
    CMWQ_WARN("free_irq(%u) called from a handler of the same interrupt: refused", irq);
    return nullptr;
  }
  std::lock_guard<std::mutex> rq(d->request_mutex);
  irq_action* a = nullptr;
  bool stop_hard;
  {
    std::unique_lock<std::mutex> lk(d->lock);
    for (irq_action** pp = &d->actions; *pp; pp = &(*pp)->next) {
      if ((*pp)->dev_id == dev_id) {
        a = *pp;
        *pp = a->next;
        break;
      }
    }
    if (!a) {
      lk.unlock();
      CMWQ_WARN("Trying to free already-free IRQ %u", irq);
      return nullptr;
    }
    --d->stats.actions;
    // The unlink above hides the action from every later interrupt; the one in progress may
    // still hold it in its snapshot (and be waiting for its thread): wait for that to finish.
    d->done_cv.wait(lk, [&] { return !d->in_progress; });
    a->thread_stop = true;
    a->thread_cv.notify_one();
    stop_hard = !d->actions;
    if (stop_hard) {
      // No handler left: the hard thread answers what is queued (-ENOENT) and exits. New
      // raises see no actions and return without queueing.
      d->hard_stop = true;
      d->latched = false;
      d->replay = false;
      d->work_cv.notify_one();
    }
  }
  if (a->thread.joinable()) a->thread.join();
  if (stop_hard && d->hard_thread.joinable()) d->hard_thread.join();
  const void* name = a->name;
  delete a;
  g_actions_installed.fetch_sub(1, std::memory_order_relaxed);
  return name;
}

void disable_irq_nosync(unsigned int irq) {
  irq_desc* d = find_desc(irq);
  if (!d) return;
  std::lock_guard<std::mutex> g(d->lock);
  ++d->depth;
}

void synchronize_irq(unsigned int irq) {
  irq_desc* d = find_desc(irq);
  if (!d) return;
  (core::might_sleep)("synchronize_irq");
  std::unique_lock<std::mutex> lk(d->lock);
  wait_not_in_progress(d, lk, "synchronize_irq");
}

void disable_irq(unsigned int irq) {
  disable_irq_nosync(irq);
  synchronize_irq(irq);
}

void enable_irq(unsigned int irq) {
  irq_desc* d = find_desc(irq);
  bool unbalanced = false;
  if (d) {
    std::lock_guard<std::mutex> g(d->lock);
    if (d->depth == 0) {
      unbalanced = true;
    } else if (--d->depth == 0 && d->latched) {
      // Resend the interrupt that arrived while the line was masked (check_irq_resend()).
      d->latched = false;
      d->replay = true;
      d->work_cv.notify_one();
    }
  } else {
    unbalanced = true;
  }
  if (unbalanced) CMWQ_WARN("Unbalanced enable for IRQ %u", irq);
}

int cmwq_irq_raise(unsigned int irq) {
  if (irq >= CMWQ_NR_IRQS) return -EINVAL;
  irq_desc* d = find_desc(irq);
  if (!d) return -ENOENT;  // never requested: nothing to count it on
  if (t_irq_line == irq) {
    CMWQ_WARN("cmwq_irq_raise(%u) from a handler of the same interrupt", irq);
    return -EDEADLK;
  }
  raise_req r;
  std::unique_lock<std::mutex> lk(d->lock);
  ++d->stats.raised;
  if (!d->actions) {
    ++d->stats.lost;
    return -ENOENT;
  }
  if (d->depth > 0) {
    ++d->stats.latched;
    d->latched = true;
    return -EAGAIN;
  }
  if (d->q_tail)
    d->q_tail->next = &r;
  else
    d->q_head = &r;
  d->q_tail = &r;
  d->work_cv.notify_one();
  d->done_cv.wait(lk, [&] { return r.done; });
  return r.result;
}

int cmwq_irq_get_stats(unsigned int irq, struct cmwq_irq_stats* out) {
  if (irq >= CMWQ_NR_IRQS || !out) return -EINVAL;
  irq_desc* d = find_desc(irq);
  if (!d) {
    *out = cmwq_irq_stats{};
    return 0;
  }
  std::lock_guard<std::mutex> g(d->lock);
  *out = d->stats;
  out->depth = d->depth;
  return 0;
}

size_t cmwq_irq_actions_installed(void) { return g_actions_installed.load(std::memory_order_relaxed); }

}  // extern "C"

// ---- device-managed interrupts ------------------------------------------------------------------

namespace {

struct irq_devres {
  unsigned int irq;
  void* dev_id;
};

void devm_irq_release(void* res) {
  auto* r = static_cast<irq_devres*>(res);
  free_irq(r->irq, r->dev_id);
}

bool devm_irq_match(void* res, const void* ctx) {
  auto* r = static_cast<irq_devres*>(res);
  auto* want = static_cast<const irq_devres*>(ctx);
  return r->irq == want->irq && r->dev_id == want->dev_id;
}

}  // namespace

extern "C" {

int devm_request_threaded_irq(struct device* dev, unsigned int irq, irq_handler_t handler, irq_handler_t thread_fn,
                              unsigned long irqflags, const char* devname, void* dev_id) {
  if (!dev) return -EINVAL;
  int ret = request_threaded_irq(irq, handler, thread_fn, irqflags, devname ? devname : dev->name, dev_id);
  if (ret) return ret;
  irq_devres res{irq, dev_id};
  if (!kcompat::devres_add(dev, devm_irq_release, &res, sizeof res, GFP_KERNEL, false, nullptr)) {
    free_irq(irq, dev_id);
    return -ENOMEM;
  }
  return 0;
}

int devm_request_irq(struct device* dev, unsigned int irq, irq_handler_t handler, unsigned long irqflags,
                     const char* devname, void* dev_id) {
  if (!handler) return -EINVAL;
  return devm_request_threaded_irq(dev, irq, handler, nullptr, irqflags, devname, dev_id);
}

void devm_free_irq(struct device* dev, unsigned int irq, void* dev_id) {
  irq_devres want{irq, dev_id};
  if (!kcompat::devres_find_remove(dev, devm_irq_release, devm_irq_match, &want, true))
    CMWQ_WARN("devm_free_irq: IRQ %u (dev_id %p) is not device-managed on %s", irq, dev_id,
              dev ? dev->name : "(null)");
}

}  // extern "C"
