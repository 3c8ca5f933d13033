// tests/model_test.cpp - model-based test of the item state machine and of an ordered queue's
// order (issue 5, part 2).
//
// A sequential reference model keeps, for every work item, whether it is pending (queued, or
// armed on a timer for a delayed item) and its disable count, and for the queue the order in
// which queued items will run. Random operation sequences (seeded; the seed is printed and
// CMWQ_TEST_SEED replays one) are applied to the model and to the real engine through the
// kernel-style C API, and every return value is compared, operation by operation.
//
// Determinism: everything runs on one ordered workqueue whose single active slot is held by a
// "gate" item blocked on a completion. While the gate is closed no item can run, so the engine's
// answers depend on the operation sequence only. Delayed items are armed with a delay of hours,
// so no timer fires during a round. At the end of a round the gate opens, the queue is flushed,
// the armed items are flushed one by one with flush_delayed_work() (which queues them at once,
// R17), and the order in which items actually ran is compared with the model's.
//
// Rules covered: R2, R4, R8, R15, R17, R18, R26, R27 (no running instance), R35, R36, R38-R40, R42.
#include <gtest/gtest.h>

#include <array>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <deque>
#include <random>
#include <string>
#include <thread>
#include <vector>

#include "test_support.hpp"

// Last: the kernel-style headers define function-like macros.
#include <linux/completion.h>
#include <linux/cpumask.h>
#include <linux/workqueue.h>

namespace {

using namespace std::chrono_literals;

constexpr int k_plain = 3;            // items 0..2: struct work_struct
constexpr int k_delayed = 3;          // items 3..5: struct delayed_work
constexpr int k_items = k_plain + k_delayed;
constexpr int k_rounds = 40;          // gate phases per test
constexpr int k_ops_per_round = 60;
constexpr int k_max_disable = 3;      // well below the overflow at 65535 (R38)
constexpr unsigned long k_long_delay = 10UL * 3600 * 1000;  // 10 hours in jiffies: never fires here
constexpr std::size_t k_log_size = 4096;

// ---- the real items ------------------------------------------------------------------------------

struct item_head {
  struct work_struct w;    // plain items
  struct delayed_work dw;  // delayed items
  int id;
};

std::array<item_head, k_items> g_items;
std::array<std::atomic<int>, k_log_size> g_log;  // ids in the order they ran
std::atomic<std::size_t> g_log_len{0};

void record(int id) {
  const std::size_t i = g_log_len.fetch_add(1);
  if (i < k_log_size) g_log[i].store(id);
}

void plain_fn(struct work_struct* w) { record(reinterpret_cast<item_head*>(w)->id); }
void delayed_fn(struct work_struct* w) {
  auto* h = reinterpret_cast<item_head*>(reinterpret_cast<char*>(to_delayed_work(w)) - offsetof(item_head, dw));
  record(h->id);
}

// The gate: started tells the test it runs; it returns once open is completed.
struct completion g_gate_started;
struct completion g_gate_open;
struct work_struct g_gate;
void gate_fn(struct work_struct*) {
  complete(&g_gate_started);
  wait_for_completion(&g_gate_open);
}

bool is_delayed(int id) { return id >= k_plain; }
struct work_struct* ws(int id) { return is_delayed(id) ? &g_items[id].dw.work : &g_items[id].w; }

// ---- the model -----------------------------------------------------------------------------------

struct model {
  struct item {
    bool pending = false;  // queued (in `order`) or armed
    bool armed = false;    // delayed item on its timer (not in `order`)
    int disable = 0;
  };
  std::array<item, k_items> items{};
  std::deque<int> order;  // queued items behind the gate, in the order they will run

  void unqueue(int id) {
    item& it = items[id];
    if (it.pending && !it.armed)
      for (auto i = order.begin(); i != order.end(); ++i)
        if (*i == id) {
          order.erase(i);
          break;
        }
    it.pending = it.armed = false;
  }
  // queue_work*(), queue_delayed_work*() (R2, R4, R36).
  bool queue(int id, bool timer) {
    item& it = items[id];
    if (it.disable || it.pending) return false;
    it.pending = true;
    it.armed = timer;
    if (!timer) order.push_back(id);
    return true;
  }
  // mod_delayed_work*() (R35, R36, R39): true if it was pending.
  bool mod(int id, bool timer) {
    item& it = items[id];
    if (it.disable) return false;
    const bool was = it.pending;
    unqueue(id);
    queue(id, timer);
    return was;
  }
  // cancel*() (R26, R27): true if it was pending.
  bool cancel(int id) {
    const bool was = items[id].pending;
    unqueue(id);
    return was;
  }
  // disable*() (R40): true if it was pending.
  bool disable(int id) {
    const bool was = cancel(id);
    items[id].disable++;
    return was;
  }
  // enable*() (R38), only called with a positive count: true if the count is now 0.
  bool enable(int id) { return --items[id].disable == 0; }
};

// ---- the test --------------------------------------------------------------------------------------

class model_test : public ::testing::Test {
 protected:
  void SetUp() override {
    int cpu;
    for_each_online_cpu(cpu) cpus_.push_back(cpu);
    wq_ = alloc_ordered_workqueue("model_test", 0);
    ASSERT_NE(wq_, nullptr);
    for (int id = 0; id < k_items; id++) {
      g_items[id].id = id;
      if (is_delayed(id))
        INIT_DELAYED_WORK(&g_items[id].dw, delayed_fn);
      else
        INIT_WORK(&g_items[id].w, plain_fn);
    }
    INIT_WORK(&g_gate, gate_fn);
    warns_ = cmwq_warn_count();
  }

  void TearDown() override {
    if (!wq_) return;
    complete_all(&g_gate_open);  // never leave the gate closed
    for (int id = 0; id < k_items; id++) {
      if (is_delayed(id))
        cancel_delayed_work_sync(&g_items[id].dw);
      else
        cancel_work_sync(&g_items[id].w);
    }
    cancel_work_sync(&g_gate);
    destroy_workqueue(wq_);
    EXPECT_EQ(cmwq_warn_count(), warns_) << "the library printed a WARNING (standard error above)";
  }

  // Runs `f` on another thread and waits for it with a deadline; on expiry reports, dumps every
  // queue and ends the process (a blocked flush cannot be cancelled).
  template <class F>
  void within(const char* what, F f, std::chrono::seconds limit = 10s) {
    std::atomic<bool> done{false};
    std::thread t([&] {
      f();
      done.store(true);
    });
    if (!cmwq_test::wait_until([&] { return done.load(); }, limit)) {
      ADD_FAILURE() << what << " did not return within " << limit.count() << " s (seed " << seed_ << ", round "
                    << round_ << "); " << cmwq_test::dump_state() << "\nhistory:\n" << history_;
      std::fflush(stdout);
      std::fflush(stderr);
      std::_Exit(1);
    }
    t.join();
  }

  // Closes the gate: queues the gate item and waits until it runs, holding the only slot.
  void close_gate() {
    init_completion(&g_gate_started);
    init_completion(&g_gate_open);
    ASSERT_TRUE(queue_work(wq_, &g_gate));
    ASSERT_NE(wait_for_completion_timeout(&g_gate_started, 10 * 1000), 0UL)
        << "the gate item did not start; " << cmwq_test::dump_state();
    // R42: running, not pending (PENDING is cleared before the function is called, R3).
    ASSERT_EQ(work_busy(&g_gate), static_cast<unsigned>(WORK_BUSY_RUNNING));
  }

  // One random operation, applied to the model and the engine. Returns false on a mismatch.
  bool step(std::mt19937& rng, int n) {
    auto pick = [&](int k) { return static_cast<int>(rng() % static_cast<unsigned>(k)); };
    const int id = pick(k_items);
    const bool d = is_delayed(id);
    model::item& m = model_.items[id];
    char desc[128];
    bool expect = false, got = false;

    switch (pick(14)) {
      case 0:
      case 1: {  // queue_work / queue_delayed_work(.., 0): at once
        std::snprintf(desc, sizeof desc, "%s(%d)", d ? "queue_delayed_work(0)" : "queue_work", id);
        expect = model_.queue(id, false);
        got = d ? queue_delayed_work(wq_, &g_items[id].dw, 0) : queue_work(wq_, &g_items[id].w);
        break;
      }
      case 2: {  // queue_work_on / queue_delayed_work_on(.., 0) on a random CPU (one pwq anyway)
        const int cpu = cpus_[static_cast<std::size_t>(pick(static_cast<int>(cpus_.size())))];
        std::snprintf(desc, sizeof desc, "%s(cpu %d, %d)", d ? "queue_delayed_work_on(0)" : "queue_work_on", cpu, id);
        expect = model_.queue(id, false);
        got = d ? queue_delayed_work_on(cpu, wq_, &g_items[id].dw, 0) : queue_work_on(cpu, wq_, &g_items[id].w);
        break;
      }
      case 3: {  // queue_delayed_work(long): armed
        if (!d) return step(rng, n);
        std::snprintf(desc, sizeof desc, "queue_delayed_work(%d, long)", id);
        expect = model_.queue(id, true);
        got = queue_delayed_work(wq_, &g_items[id].dw, k_long_delay);
        break;
      }
      case 4: {  // mod_delayed_work, long or 0
        if (!d) return step(rng, n);
        const bool timer = pick(3) != 0;
        std::snprintf(desc, sizeof desc, "mod_delayed_work(%d, %s)", id, timer ? "long" : "0");
        expect = model_.mod(id, timer);
        got = mod_delayed_work(wq_, &g_items[id].dw, timer ? k_long_delay : 0);
        break;
      }
      case 5:
      case 6: {  // cancel
        std::snprintf(desc, sizeof desc, "%s(%d)", d ? "cancel_delayed_work" : "cancel_work", id);
        expect = model_.cancel(id);
        got = d ? cancel_delayed_work(&g_items[id].dw) : cancel_work(&g_items[id].w);
        break;
      }
      case 7: {  // cancel_sync: nothing of these items runs while the gate is closed
        std::snprintf(desc, sizeof desc, "%s(%d)", d ? "cancel_delayed_work_sync" : "cancel_work_sync", id);
        expect = model_.cancel(id);
        got = d ? cancel_delayed_work_sync(&g_items[id].dw) : cancel_work_sync(&g_items[id].w);
        break;
      }
      case 8: {  // disable, sync or not
        if (m.disable >= k_max_disable) return step(rng, n);
        const bool sync = pick(2);
        std::snprintf(desc, sizeof desc, "%s%s(%d)", d ? "disable_delayed_work" : "disable_work", sync ? "_sync" : "", id);
        expect = model_.disable(id);
        if (d)
          got = sync ? disable_delayed_work_sync(&g_items[id].dw) : disable_delayed_work(&g_items[id].dw);
        else
          got = sync ? disable_work_sync(&g_items[id].w) : disable_work(&g_items[id].w);
        break;
      }
      case 9:
      case 10: {  // enable (only when disabled: enabling at 0 warns, R38)
        if (!m.disable) return step(rng, n);
        std::snprintf(desc, sizeof desc, "%s(%d) [count %d]", d ? "enable_delayed_work" : "enable_work", id, m.disable);
        expect = model_.enable(id);
        got = d ? enable_delayed_work(&g_items[id].dw) : enable_work(&g_items[id].w);
        break;
      }
      case 11: {  // flush_work of an item that is idle, or only armed: returns false at once (R15, R18)
        if (m.pending && !m.armed) return step(rng, n);  // it would wait for the gate
        std::snprintf(desc, sizeof desc, "flush_work(%d) [%s]", id, m.armed ? "armed" : "idle");
        expect = false;
        within("flush_work of an idle or armed item", [&] { got = flush_work(ws(id)); });
        break;
      }
      case 12: {  // work_pending / delayed_work_pending
        std::snprintf(desc, sizeof desc, "%s(%d)", d ? "delayed_work_pending" : "work_pending", id);
        expect = m.pending;
        got = d ? delayed_work_pending(&g_items[id].dw) : work_pending(&g_items[id].w);
        break;
      }
      default: {  // work_busy: pending bit only, nothing of ours runs (R42; an armed timer is PENDING)
        std::snprintf(desc, sizeof desc, "work_busy(%d)", id);
        const unsigned b = work_busy(ws(id));
        history_ += "  " + std::to_string(n) + ": " + desc + " = " + std::to_string(b) + "\n";
        if (b != (m.pending ? static_cast<unsigned>(WORK_BUSY_PENDING) : 0u)) {
          ADD_FAILURE() << "seed " << seed_ << ", round " << round_ << ", op " << n << ": " << desc << " returned " << b
                        << ", the model expects " << (m.pending ? 1 : 0) << "\nhistory of the round:\n" << history_;
          return false;
        }
        return true;
      }
    }
    history_ += "  " + std::to_string(n) + ": " + desc + " = " + (got ? "true" : "false") + "\n";
    if (got != expect) {
      ADD_FAILURE() << "seed " << seed_ << ", round " << round_ << ", op " << n << ": " << desc << " returned "
                    << (got ? "true" : "false") << ", the model expects " << (expect ? "true" : "false")
                    << "\nhistory of the round:\n" << history_;
      return false;
    }
    return true;
  }

  // Opens the gate, lets everything run and compares the execution order with the model's.
  bool open_and_check() {
    std::vector<int> expected(model_.order.begin(), model_.order.end());
    model_.order.clear();
    g_log_len.store(0);
    complete_all(&g_gate_open);
    within("flush_workqueue after opening the gate", [&] { flush_workqueue(wq_); });
    // Armed items: flush_delayed_work() queues them at once and waits (R17), one after another.
    for (int id = 0; id < k_items; id++) {
      model::item& m = model_.items[id];
      if (!m.armed) continue;
      // The return value is not compared: the item is queued at once and may already have run
      // when flush_work() looks (then false), as in the kernel. The order check below tells
      // whether it ran before the return.
      bool f = false;
      within("flush_delayed_work of an armed item", [&] { f = flush_delayed_work(&g_items[id].dw); });
      history_ += "  flush_delayed_work(" + std::to_string(id) + ") = " + (f ? "true" : "false") + "\n";
      m.pending = m.armed = false;
      expected.push_back(id);
    }
    for (auto& m : model_.items) m.pending = m.armed = false;
    const std::size_t len = std::min(g_log_len.load(), k_log_size);
    std::vector<int> ran;
    for (std::size_t i = 0; i < len; i++) ran.push_back(g_log[i].load());
    auto str = [](const std::vector<int>& v) {
      std::string s;
      for (int x : v) s += std::to_string(x) + " ";
      return s;
    };
    if (ran != expected) {
      ADD_FAILURE() << "seed " << seed_ << ", round " << round_ << ": items ran in the order [ " << str(ran)
                    << "], the model expects [ " << str(expected) << "] (R8)\nhistory of the round:\n" << history_;
      return false;
    }
    // Everything idle again (R16, R42).
    for (int id = 0; id < k_items; id++)
      if (work_busy(ws(id)) != 0) {
        ADD_FAILURE() << "seed " << seed_ << ", round " << round_ << ": item " << id << " busy ("
                      << work_busy(ws(id)) << ") after the flushes\nhistory of the round:\n" << history_;
        return false;
      }
    return true;
  }

  struct workqueue_struct* wq_ = nullptr;
  std::vector<int> cpus_;
  unsigned long warns_ = 0;
  model model_;
  unsigned seed_ = 0;
  int round_ = 0;
  std::string history_;
};

// Smoke walk: one item through idle -> pending -> stolen -> disabled -> enabled -> run, then an
// armed delayed item through mod_delayed_work and flush_delayed_work, behind the closed gate.
TEST_F(model_test, smoke_walk) {
  close_gate();
  struct work_struct* a = &g_items[0].w;
  struct delayed_work* b = &g_items[k_plain].dw;
  EXPECT_TRUE(queue_work(wq_, a));
  EXPECT_FALSE(queue_work(wq_, a));                      // R2
  EXPECT_EQ(work_busy(a), static_cast<unsigned>(WORK_BUSY_PENDING));
  EXPECT_TRUE(cancel_work(a));                           // R26
  EXPECT_FALSE(work_pending(a));
  EXPECT_FALSE(disable_work(a));                         // R40: nothing pending
  EXPECT_FALSE(queue_work(wq_, a));                      // R4
  EXPECT_TRUE(enable_work(a));                           // R38: count back to 0
  EXPECT_TRUE(queue_work(wq_, a));
  EXPECT_TRUE(queue_delayed_work(wq_, b, k_long_delay));
  EXPECT_TRUE(delayed_work_pending(b));                  // an armed timer is PENDING (R42)
  bool f = true;
  within("flush_work of an armed item", [&] { f = flush_work(&b->work); });
  EXPECT_FALSE(f);                                       // R18
  EXPECT_TRUE(mod_delayed_work(wq_, b, k_long_delay));   // R35: was pending
  g_log_len.store(0);
  complete_all(&g_gate_open);
  within("flush_workqueue", [&] { flush_workqueue(wq_); });
  EXPECT_TRUE(delayed_work_pending(b));                  // still armed: not waited for (R19)
  within("flush_delayed_work", [&] { (void)flush_delayed_work(b); });  // R17: queued at once, waited for
  ASSERT_EQ(g_log_len.load(), 2u);
  EXPECT_EQ(g_log[0].load(), 0);
  EXPECT_EQ(g_log[1].load(), k_plain);
}

// The property: for random sequences, every return value and the execution order match the model.
TEST_F(model_test, random_sequences_match_the_model) {
  seed_ = cmwq_test::test_seed();
  std::mt19937 rng(seed_);
  unsigned long ops = 0;
  for (round_ = 0; round_ < k_rounds; round_++) {
    history_.clear();
    close_gate();
    if (HasFatalFailure()) return;
    for (int n = 0; n < k_ops_per_round; n++, ops++)
      if (!step(rng, n)) return;
    if (!open_and_check()) return;
  }
  std::printf("[   INFO   ] %lu operations in %d rounds matched the model\n", ops, k_rounds);
}

}  // namespace
