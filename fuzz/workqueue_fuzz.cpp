// fuzz/workqueue_fuzz.cpp - libFuzzer target for the kernel-style C API (issue 5, part 3).
//
// The input is decoded into a sequence of API calls on a small set of work items and queues,
// correct uses and misuses alike: queueing on a destroyed or NULL queue, destroying twice,
// flushing idle items and queues, enabling an item that is not disabled, cancelling items that
// were never initialised (zero-filled), NULL items, out-of-range max_active and CPU numbers,
// invalid flag combinations, freezing and thawing, and allocations that fail (the fault point
// wq_alloc, set to fail one chosen allocation: deterministic, so that a crash replays). The library
// must survive all of it (D3, D4:
// it warns, it never crashes, hangs or touches freed memory); sanitizers (ASan + UBSan) report
// anything else. Every input ends with a cleanup that leaves nothing queued, armed or allocated,
// and checks that it did.
//
// Build and run: scripts/fuzz.sh (clang, -fsanitize=fuzzer,address,undefined). The library's
// log is sent to a hook that drops it: misuse warns on almost every input.
//
// Byte format: a stream of operations; each starts with an opcode byte (taken modulo the
// number of operations) followed by its argument bytes (missing bytes read as 0).
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <cstdio>
#include <cstring>
#include <initializer_list>

// Last: the kernel-style headers define function-like macros.
#include <linux/fault-inject.h>
#include <linux/workqueue.h>

namespace {

constexpr int k_slots = 3;
constexpr int k_plain = 3;    // initialised struct work_struct
constexpr int k_delayed = 2;  // initialised struct delayed_work
constexpr std::size_t k_max_ops = 256;

struct byte_reader {
  const std::uint8_t* p;
  std::size_t n;
  std::uint8_t u8() {
    if (!n) return 0;
    n--;
    return *p++;
  }
  int i16() { return static_cast<std::int16_t>(u8() | (u8() << 8)); }
};

struct state {
  struct workqueue_struct* wq[k_slots];     // current handle or nullptr
  struct workqueue_struct* stale[k_slots];  // last destroyed handle (misuse target)
  struct work_struct plain[k_plain];
  struct delayed_work delayed[k_delayed];
  struct work_struct zeroed;                // never initialised (R29)
  struct delayed_work zeroed_dw;
  bool frozen;
};

state g;

void item_fn(struct work_struct*) {}

void discard_log(const char*, void*) {}

// Blocking calls must not wait on a frozen queue: thaw first.
void thaw() {
  if (g.frozen) {
    thaw_workqueues();
    g.frozen = false;
  }
}

struct workqueue_struct* pick_wq(byte_reader& in) {
  const std::uint8_t b = in.u8();
  const int s = b % k_slots;
  switch ((b / k_slots) % 8) {
    case 0: return g.stale[s];                              // destroyed (or nullptr)
    case 1: return nullptr;                                 // NULL queue
    case 2: return system_wq;
    default: return g.wq[s] ? g.wq[s] : g.stale[s];
  }
}

// Any item, including the zero-filled one and NULL (only for calls that accept them).
struct work_struct* pick_any(byte_reader& in) {
  const int b = in.u8() % (k_plain + k_delayed + 2);
  if (b < k_plain) return &g.plain[b];
  if (b < k_plain + k_delayed) return &g.delayed[b - k_plain].work;
  if (b == k_plain + k_delayed) return &g.zeroed;
  return nullptr;
}
// An initialised plain item (queueing a never-initialised item would call a NULL function, which
// crashes the kernel too: not a misuse the library has to survive).
struct work_struct* pick_plain(byte_reader& in) { return &g.plain[in.u8() % k_plain]; }
struct delayed_work* pick_dwork(byte_reader& in, bool allow_zeroed) {
  const int b = in.u8() % (k_delayed + (allow_zeroed ? 2 : 0));
  if (b < k_delayed) return &g.delayed[b];
  return b == k_delayed ? &g.zeroed_dw : nullptr;
}

int pick_cpu(byte_reader& in) {
  const std::uint8_t b = in.u8();
  switch (b % 4) {
    case 0: return WORK_CPU_UNBOUND;
    case 1: return b / 4 % 4;          // 0..3, online or not
    case 2: return -1 - b / 4 % 4;     // negative
    default: return 100000 + b;        // far out of range
  }
}

unsigned long pick_delay(byte_reader& in) {
  const std::uint8_t b = in.u8();
  if (b < 128) return 0;
  if (b < 224) return b % 4;          // fires soon (1 jiffy = 1 ms)
  return 3600UL * 1000 * (b % 4 + 1);  // hours: cancelled by the cleanup
}

void alloc_slot(byte_reader& in) {
  const int s = in.u8() % k_slots;
  if (g.wq[s]) return;  // keep at most k_slots live queues
  const std::uint8_t kind = in.u8();
  const std::uint8_t extra = in.u8();
  unsigned flags = 0;
  for (unsigned f : {WQ_HIGHPRI, WQ_MEM_RECLAIM, WQ_FREEZABLE, WQ_CPU_INTENSIVE, WQ_POWER_EFFICIENT, WQ_SYSFS})
    if (extra & (1u << __builtin_ctz(f) % 8)) flags |= f;
  int max_active;
  switch (in.u8() % 4) {
    case 0: max_active = 0; break;
    case 1: max_active = 1 + in.u8() % 8; break;
    default: max_active = in.i16(); break;  // negative or above WQ_MAX_ACTIVE: clamped, warns
  }
  struct workqueue_struct* wq = nullptr;
  switch (kind % 7) {
    case 0: wq = alloc_workqueue("fz%d", flags | WQ_PERCPU, max_active, s); break;
    case 1: wq = alloc_workqueue("fz%d", flags | WQ_UNBOUND, max_active, s); break;
    case 2: wq = alloc_ordered_workqueue("fz%d", flags & (WQ_HIGHPRI | WQ_MEM_RECLAIM | WQ_FREEZABLE), s); break;
    case 3: wq = alloc_workqueue("fz%d", flags, max_active, s); break;  // neither PERCPU nor UNBOUND: warns
    case 4: wq = alloc_workqueue("fz%d", flags | WQ_PERCPU | WQ_UNBOUND, max_active, s); break;  // both: warns
    case 5: wq = alloc_workqueue("fz%d", WQ_BH | (kind & 8 ? WQ_HIGHPRI : 0), kind & 16 ? max_active : 0, s); break;
    default:  // invalid BH combination: NULL
      wq = alloc_workqueue("fz%d-a-name-longer-than-WQ_NAME_LEN-characters", WQ_BH | flags | WQ_UNBOUND, max_active, s);
      break;
  }
  g.wq[s] = wq;
}

// The Nth allocation alloc_workqueue() makes from now on fails (the queue, a pwq, the rescuer or
// its thread, N = 1..8): only the fuzzing thread allocates queues, so the choice is replayable.
void arm_alloc_failure(byte_reader& in) {
  char spec[64];
  std::snprintf(spec, sizeof spec, "wq_alloc:times=1:interval=%d", 1 + in.u8() % 8);
  if (cmwq_fault_inject(spec) != 0) std::abort();
}

void destroy_slot(byte_reader& in) {
  const int s = in.u8() % k_slots;
  thaw();
  if (g.wq[s]) {
    destroy_workqueue(g.wq[s]);
    g.stale[s] = g.wq[s];
    g.wq[s] = nullptr;
  } else if (g.stale[s]) {
    destroy_workqueue(g.stale[s]);  // twice: warns (D3)
  }
}

void run_op(byte_reader& in) {
  switch (in.u8() % 25) {
    case 0: alloc_slot(in); break;
    case 1: destroy_slot(in); break;
    case 2: { auto* wq = pick_wq(in); (void)queue_work(wq, pick_plain(in)); break; }
    case 3: { auto* wq = pick_wq(in); const int cpu = pick_cpu(in); (void)queue_work_on(cpu, wq, pick_plain(in)); break; }
    case 4: {
      auto* wq = pick_wq(in);
      const int cpu = pick_cpu(in);
      auto* dw = pick_dwork(in, false);
      (void)queue_delayed_work_on(cpu, wq, dw, pick_delay(in));
      break;
    }
    case 5: {
      auto* wq = pick_wq(in);
      const int cpu = pick_cpu(in);
      auto* dw = pick_dwork(in, false);
      (void)mod_delayed_work_on(cpu, wq, dw, pick_delay(in));
      break;
    }
    case 6: { auto* w = pick_any(in); if (w && w != &g.delayed[0].work && w != &g.delayed[1].work) (void)cancel_work(w); break; }
    case 7: (void)cancel_delayed_work(pick_dwork(in, true)); break;
    case 8: {
      thaw();
      auto* w = pick_any(in);
      if (!w || (w != &g.delayed[0].work && w != &g.delayed[1].work)) (void)cancel_work_sync(w);  // zeroed: R29 warns
      break;
    }
    case 9: thaw(); (void)cancel_delayed_work_sync(pick_dwork(in, true)); break;
    case 10: thaw(); (void)flush_work(pick_any(in)); break;  // idle, armed, zeroed or NULL alike
    case 11: thaw(); (void)flush_delayed_work(pick_dwork(in, true)); break;
    case 12: { thaw(); auto* wq = pick_wq(in); if (wq != system_wq) flush_workqueue(wq); break; }
    case 13: { thaw(); auto* wq = pick_wq(in); if (wq != system_wq) drain_workqueue(wq); break; }
    case 14: {
      auto* w = pick_any(in);
      if (w && (w == &g.delayed[0].work || w == &g.delayed[1].work)) break;
      if (in.u8() & 1) { thaw(); (void)disable_work_sync(w); } else (void)disable_work(w);
      break;
    }
    case 15: {
      auto* dw = pick_dwork(in, true);
      if (in.u8() & 1) { thaw(); (void)disable_delayed_work_sync(dw); } else (void)disable_delayed_work(dw);
      break;
    }
    case 16: { auto* w = pick_any(in); if (!w || (w != &g.delayed[0].work && w != &g.delayed[1].work)) (void)enable_work(w); break; }  // at 0: underflow warns
    case 17: (void)enable_delayed_work(pick_dwork(in, true)); break;
    case 18: { auto* wq = pick_wq(in); if (wq != system_wq) workqueue_set_max_active(wq, in.i16()); break; }
    case 19: { auto* wq = pick_wq(in); if (wq != system_wq) workqueue_set_min_active(wq, in.i16()); break; }
    case 20: {
      auto* w = pick_any(in);
      (void)work_busy(w);
      if (w) (void)work_pending(w);
      auto* wq = pick_wq(in);
      (void)workqueue_congested(pick_cpu(in), wq);
      struct cmwq_wq_stats st;
      (void)cmwq_workqueue_stats(wq, &st);
      (void)workqueue_is_reclaim_annotated(wq);
      break;
    }
    case 21:
      if (g.frozen) {
        (void)freeze_workqueues_busy();
        thaw();
      } else {
        freeze_workqueues_begin();
        g.frozen = true;
      }
      break;
    case 22: { auto* wq = pick_wq(in); if (wq) (void)enable_and_queue_work(wq, pick_plain(in)); break; }
    case 23: arm_alloc_failure(in); break;
    default: { auto* wq = pick_wq(in); (void)queue_work_node(in.u8() % 2, wq, pick_plain(in)); break; }
  }
}

// Leaves nothing queued, armed, frozen or allocated, and no fault armed; resets every item.
void cleanup() {
  cmwq_fault_reset();
  thaw();
  for (auto& w : g.plain) (void)cancel_work_sync(&w);
  for (auto& dw : g.delayed) (void)cancel_delayed_work_sync(&dw);
  for (int s = 0; s < k_slots; s++) {
    if (g.wq[s]) destroy_workqueue(g.wq[s]);
    g.wq[s] = g.stale[s] = nullptr;
  }
  for (auto& w : g.plain)
    if (work_busy(&w)) std::abort();  // the cleanup above must leave every item idle
  for (auto& dw : g.delayed)
    if (work_busy(&dw.work)) std::abort();
  if (cmwq_live_workqueues() != 0) std::abort();  // no queue may be leaked (R33)
  for (auto& w : g.plain) INIT_WORK(&w, item_fn);  // resets disable counts too
  for (auto& dw : g.delayed) INIT_DELAYED_WORK(&dw, item_fn);
  std::memset(&g.zeroed, 0, sizeof g.zeroed);  // only ever cancelled, disabled, enabled, flushed
  std::memset(&g.zeroed_dw, 0, sizeof g.zeroed_dw);
}

}  // namespace

extern "C" int LLVMFuzzerInitialize(int*, char***) {
  cmwq_set_log_hook(discard_log, nullptr);
  cleanup();
  return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  byte_reader in{data, size};
  for (std::size_t ops = 0; in.n && ops < k_max_ops; ops++) run_op(in);
  cleanup();
  return 0;
}
