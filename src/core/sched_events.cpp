// src/core/sched_events.cpp - a bound worker's scheduler events: the kernel tells cmwq that a
// worker blocked, the moment it happens, whatever the worker called (nanosleep, read, a contended
// pthread mutex...).
//
// A bound worker gets a perf software event (PERF_COUNT_SW_DUMMY with
// context_switch = 1, exclude_kernel = 1: allowed to unprivileged users at perf_event_paranoid 2)
// and maps a small ring buffer. Enabled, the kernel writes a PERF_RECORD_SWITCH record at every
// switch-out and switch-in of that thread; a switch-out without PERF_RECORD_MISC_SWITCH_OUT_PREEMPT
// means the thread blocked. The watermark is one byte, so a watcher in epoll_wait() wakes at the
// first record - but that wake-up machinery (an irq_work per record) costs ~14 us per switch on
// these VMs even with nobody waiting, against ~1 us for a record alone (docs/concurrency.md), and
// even a disabled event costs every switch of its thread something (W3: +10-15%). So the manager
// opens a worker's event (for the worker's tid) only the first time that worker executes an item
// with work pending behind it in its pool ("armed", concurrency.cpp), enables it while that
// holds and disables it afterwards: a worker that never had work waiting behind it carries no
// event at all. Once it has one, the worker itself turns it off as it goes idle and on as it
// starts an item in a watched pool (an ioctl on another thread's event costs an IPI). Reading a
// ring is plain memory reads.
//
// The mechanism is chosen once (cm_observer_active()): CMWQ_CM_OBSERVE, else perf when a probe
// event opens, else proc. A worker whose event cannot be opened later (EMFILE, the fault point
// perf_open) switches the process to proc with one note; workers that have an event keep it.
#include "sched_events.hpp"

#include <linux/perf_event.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <mutex>

#include "fault.hpp"
#include "warn.hpp"
#include "worker.hpp"
#include "worker_pool.hpp"

namespace cmwq::core {
namespace {

constexpr int ring_data_pages = 2;  // 1,024 eight-byte records between two looks

// X: relaxed; -1 until resolved. A worker that falls back stores proc; readers accept either.
std::atomic<int> g_mode{-1};
std::atomic<bool> g_fallback_noted{false};  // X: relaxed exchange, one note per process

// Opens the event of thread `tid` (0: the caller), disabled or enabled.
int open_switch_event(pid_t tid, bool enabled = true) noexcept {
  if (should_fail(fault_point::perf_open)) {
    errno = EACCES;
    return -1;
  }
  perf_event_attr attr;
  std::memset(&attr, 0, sizeof attr);
  attr.size = sizeof attr;
  attr.type = PERF_TYPE_SOFTWARE;
  attr.config = PERF_COUNT_SW_DUMMY;
  attr.context_switch = 1;
  attr.exclude_kernel = 1;
  attr.exclude_hv = 1;
  attr.disabled = !enabled;
  attr.watermark = 1;
  attr.wakeup_watermark = 1;  // bytes: wake a waiting watcher at every record
  return static_cast<int>(syscall(SYS_perf_event_open, &attr, tid, -1, -1, PERF_FLAG_FD_CLOEXEC));
}

void note_fallback(int err) noexcept {
  g_mode.store(static_cast<int>(cm_observer::proc), std::memory_order_relaxed);
  if (g_fallback_noted.exchange(true, std::memory_order_relaxed)) return;
  log_line("workqueue: perf_event_open refused (%s): concurrency management observes blocking "
           "through /proc instead (docs/concurrency.md)", std::strerror(err));
}

cm_observer resolve_mode() noexcept {
  if (const char* v = std::getenv("CMWQ_CM_OBSERVE"); v && *v) {
    if (!std::strcmp(v, "off")) return cm_observer::off;
    if (!std::strcmp(v, "proc")) return cm_observer::proc;
    if (std::strcmp(v, "perf") != 0)
      CMWQ_WARN("CMWQ_CM_OBSERVE=%s is not one of perf, proc, off; using the default", v);
  }
  const int fd = open_switch_event(0, false);
  if (fd < 0) {
    note_fallback(errno);
    return cm_observer::proc;
  }
  close(fd);
  return cm_observer::perf;
}

// The manager's two wait sets: `idle` holds the poke eventfd, `armed` also every worker's event.
struct watch_sets {
  int armed = -1, idle = -1, poke = -1;  // I after creation
};

// X: a poke is outstanding (written, and the manager's wait has not returned since). The manager
// drains the eventfd, clears this, then takes every pool lock in its pass: a kick that found it
// set queued its work before that pass looks at its pool (the pool lock orders the two).
std::atomic<bool> g_poke_outstanding{false};
// X: the manager waits in epoll_wait() on the armed set, where any enabled event's record wakes it.
std::atomic<bool> g_listening{false};

watch_sets& watch() {
  static watch_sets* w = [] {
    auto* s = new watch_sets;  // never freed: workers attach until process exit
    s->armed = epoll_create1(EPOLL_CLOEXEC);
    s->idle = epoll_create1(EPOLL_CLOEXEC);
    s->poke = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
    epoll_event ev{};
    ev.events = EPOLLIN;
    ev.data.fd = s->poke;
    epoll_ctl(s->armed, EPOLL_CTL_ADD, s->poke, &ev);
    epoll_ctl(s->idle, EPOLL_CTL_ADD, s->poke, &ev);
    return s;
  }();
  return *w;
}

}  // namespace

cm_observer cm_observer_active() noexcept {
  int m = g_mode.load(std::memory_order_relaxed);
  if (m >= 0) return static_cast<cm_observer>(m);
  static std::once_flag once;
  std::call_once(once, [] {
    const cm_observer r = resolve_mode();
    int unresolved = -1;  // a fallback noted during the probe has already stored proc
    g_mode.compare_exchange_strong(unresolved, static_cast<int>(r), std::memory_order_relaxed);
  });
  return static_cast<cm_observer>(g_mode.load(std::memory_order_relaxed));
}

const char* cm_observer_name(cm_observer o) noexcept {
  switch (o) {
    case cm_observer::perf: return "perf";
    case cm_observer::proc: return "proc";
    case cm_observer::off: return "off";
  }
  return "?";
}

bool sched_events_open(worker* wk) noexcept {
  if (wk->ring.fd >= 0) return true;
  if (cm_observer_active() != cm_observer::perf) return false;
  const int fd = open_switch_event(wk->tid);
  if (fd < 0) {
    note_fallback(errno);
    return false;
  }
  const long page = sysconf(_SC_PAGESIZE);
  const std::uint64_t size = static_cast<std::uint64_t>(page) * (1 + ring_data_pages);
  void* base = mmap(nullptr, size, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
  if (base == MAP_FAILED) {
    const int err = errno;
    close(fd);
    note_fallback(err);
    return false;
  }
  epoll_event ev{};
  ev.events = EPOLLIN;
  ev.data.fd = fd;
  epoll_ctl(watch().armed, EPOLL_CTL_ADD, fd, &ev);
  wk->ring.fd = fd;
  wk->ring.base = base;
  wk->ring.size = size;
  return true;
}

void sched_events_detach(worker* self) noexcept {
  if (self->ring.fd < 0) return;
  epoll_ctl(watch().armed, EPOLL_CTL_DEL, self->ring.fd, nullptr);
  munmap(self->ring.base, self->ring.size);
  close(self->ring.fd);
  self->ring = sched_ring{};
}

// The kernel publishes data_head after the records (its smp_wmb()); the acquire load pairs with
// it. Our release store of data_tail pairs with the kernel's read of it before it overwrites.
void sched_events_skip(worker* wk) noexcept {
  wk->pool->lock.assert_held();
  // A pool the manager watches already (so kick() does not poke) and a worker whose event is
  // off: it must be on now, or this worker's block is seen only at the next tick. A worker whose
  // event exists turns it on itself: an ioctl on the calling thread's own event runs on its own
  // CPU, where the manager's costs an IPI to the worker's CPU (a VM exit on these machines). The
  // manager opens a new one. It must also be listening: while it waits for records it is (its
  // wait set holds every opened event); otherwise (in a pass, a pause, parked) it is poked.
  if (wk->pool->cm_watched && !wk->sched_enabled && cm_observer_active() == cm_observer::perf) {
    const bool enabled = wk->ring.fd >= 0 && sched_events_enable(wk, true);
    if (enabled) wk->sched_enabled = true;
    if (!enabled || !g_listening.load(std::memory_order_seq_cst)) sched_watch_poke();
  }
  if (!wk->ring.base) return;
  auto* pg = static_cast<perf_event_mmap_page*>(wk->ring.base);
  __atomic_store_n(&pg->data_tail, __atomic_load_n(&pg->data_head, __ATOMIC_ACQUIRE), __ATOMIC_RELEASE);
}

sched_state sched_events_state(worker* wk) noexcept {
  if (!wk->ring.base) return sched_state::unknown;
  auto* pg = static_cast<perf_event_mmap_page*>(wk->ring.base);
  const std::uint64_t head = __atomic_load_n(&pg->data_head, __ATOMIC_ACQUIRE);
  std::uint64_t tail = pg->data_tail;  // only cmwq writes it, under the pool lock
  const char* data = static_cast<const char*>(wk->ring.base) + pg->data_offset;
  const std::uint64_t dsize = pg->data_size;
  sched_state st = sched_state::unknown;
  while (tail < head) {
    perf_event_header h;  // records are 8-byte multiples: a header never wraps
    std::memcpy(&h, data + tail % dsize, sizeof h);
    if (h.size == 0) break;
    if (h.type == PERF_RECORD_SWITCH) {
      const bool out = h.misc & PERF_RECORD_MISC_SWITCH_OUT;
      st = (out && !(h.misc & PERF_RECORD_MISC_SWITCH_OUT_PREEMPT)) ? sched_state::blocked : sched_state::running;
    } else if (h.type == PERF_RECORD_LOST) {
      st = sched_state::unknown;  // a later switch record tells again
    }
    tail += h.size;
  }
  __atomic_store_n(&pg->data_tail, head, __ATOMIC_RELEASE);
  return st;
}

void sched_events_idle(worker* self) noexcept {
  self->pool->lock.assert_held();
  if (!self->sched_enabled || self->sched_sleeping) return;
  if (sched_events_enable(self, false)) self->sched_enabled = false;
}

bool sched_events_enable(worker* wk, bool on) noexcept {
  if (wk->ring.fd < 0) return false;
  return ioctl(wk->ring.fd, on ? PERF_EVENT_IOC_ENABLE : PERF_EVENT_IOC_DISABLE, 0) == 0;
}

bool sched_watch_wait(bool armed, int timeout_ms) noexcept {
  watch_sets& w = watch();
  epoll_event evs[16];
  if (armed) g_listening.store(true, std::memory_order_seq_cst);
  const int n = epoll_wait(armed ? w.armed : w.idle, evs, 16, timeout_ms);
  if (armed) g_listening.store(false, std::memory_order_relaxed);
  bool poked = false;
  for (int i = 0; i < n; i++) poked |= evs[i].data.fd == w.poke;
  if (poked) {
    // Drain first, then clear: a poke written after the read finds the flag still set and
    // relies on this pass, whose pool locks come after the store; one after the store writes.
    std::uint64_t v;
    (void)!read(w.poke, &v, sizeof v);
    g_poke_outstanding.store(false, std::memory_order_seq_cst);
  }
  return n > 0;
}

void sched_watch_poke() noexcept {
  if (g_poke_outstanding.load(std::memory_order_relaxed)) return;
  if (g_poke_outstanding.exchange(true, std::memory_order_seq_cst)) return;
  const std::uint64_t one = 1;
  (void)!write(watch().poke, &one, sizeof one);
}

}  // namespace cmwq::core
