// tests/cxx_queue_test.cpp - cmwq::queue, owned_queue, builder, try_spawn and the system queues
// through the C++ front door: flush colours (R19-R21), drain (R22-R25), destroy (R30-R34, D2,
// D3), max_active per CPU and unbound (R11-R14), ordered queues (R8-R10), congested(), misuse
// (use after destroy, flushing one's own queue), builder flags (section 3), name truncation,
// try_spawn and its allocation failure, and statistics. Assertions of semantics.md section 10 are
// cited as "A<n>".
//
// One smoke walk first, then one property per test. Every wait has a deadline; waits that time
// out dump the state of every queue. Leaks are caught by the ASan build (LeakSanitizer).
#include "test_support.hpp"

#include <sys/resource.h>

#include <memory>
#include <set>

namespace {

using namespace cmwq_test;

constexpr int k_smoke_items = 8;
constexpr int k_flushers = 40;          // A30: more than the 16 flush colours
constexpr int k_flush_rounds = 4;       // flushes per flusher thread
constexpr int k_flush_items = 1500;     // items the producer queues meanwhile
constexpr int k_chain_roots = 4;        // A32: independent chains
constexpr int k_chain_depth = 5;        // A32: each root queues 5 more generations
constexpr int k_destroy_items = 10;     // A36
constexpr int k_ordered_items = 100;    // A63
constexpr int k_fifo_items = 8;         // A69
constexpr int k_spawns = 300;
constexpr int k_limit_items = 6;        // items competing for max_active slots
constexpr int k_wq_name_len = 32;       // WQ_NAME_LEN: names keep 31 characters

// Makes every try_spawn allocation fail while it lives (fault point spawn_alloc).
struct spawn_fault_guard {
  spawn_fault_guard() { EXPECT_FALSE(cmwq::fault::inject("spawn_alloc")); }
  ~spawn_fault_guard() { cmwq::fault::reset(); }
};

// An item that counts itself in a meter and waits on a gate (inside a blocking_scope).
struct held_item {
  held_item(meter& m, gate& g, std::atomic<int>& done)
      : w([&m, &g, &done] {
          {
            meter_scope in(m);
            g.wait();
          }
          done.fetch_add(1);
        }) {}
  cmwq::work w;
};

std::vector<std::unique_ptr<held_item>> make_held(int n, meter& m, gate& g, std::atomic<int>& done) {
  std::vector<std::unique_ptr<held_item>> v;
  for (int i = 0; i < n; i++) v.push_back(std::make_unique<held_item>(m, g, done));
  return v;
}

// ------------------------------------------------------------------------------------------------

TEST(cxx_queue, smoke_builds_uses_and_destroys_a_queue) {
  cmwq::owned_queue q = cmwq::builder::percpu().max_active(4).build("cxxq-smoke");
  ASSERT_TRUE(q);
  EXPECT_TRUE(q->valid());
  EXPECT_EQ(q->name(), "cxxq-smoke");
  std::atomic<int> runs{0};
  std::vector<std::unique_ptr<cmwq::work>> items;
  for (int i = 0; i < k_smoke_items; i++) items.push_back(std::make_unique<cmwq::work>([&] { runs.fetch_add(1); }));
  for (auto& w : items) EXPECT_TRUE(q->enqueue(*w));
  EXPECT_FALSE(q->try_spawn([&] { runs.fetch_add(1); }));
  q->flush();
  EXPECT_EQ(runs.load(), k_smoke_items + 1);
  EXPECT_FALSE(q->congested());
  cmwq::queue_stats st{};
  ASSERT_TRUE(q->stats(&st));
  EXPECT_EQ(st.max_active, 4);
  const cmwq::queue_ref ref = q.ref();
  EXPECT_TRUE(ref.valid());
  q.reset();
  EXPECT_FALSE(q);
  EXPECT_FALSE(ref.valid());
}

// A105: statistics count every started and completed item; nothing stays in flight.
TEST(cxx_queue, stats_count_started_and_completed_items) {
  auto q = cmwq::builder::unbound().build("cxxq-stats");
  ASSERT_TRUE(q);
  for (int i = 0; i < k_spawns; i++) ASSERT_FALSE(q->try_spawn([] {}));
  q->flush();
  cmwq::queue_stats st{};
  ASSERT_TRUE(q->stats(&st));
  EXPECT_EQ(st.started, static_cast<std::uint64_t>(k_spawns));
  EXPECT_EQ(st.completed, static_cast<std::uint64_t>(k_spawns));
  EXPECT_EQ(st.nr_active, 0);
  EXPECT_EQ(st.nr_inactive, 0);
}

// --- R19-R21: flush colours -----------------------------------------------------------------

// R19/A27: flush() waits for the items queued before it, not for an item that one of them
// queues after the flush began.
TEST(cxx_queue, flush_waits_for_items_queued_before_it_only) {
  auto q = cmwq::builder::unbound().build("cxxq-flushb");
  ASSERT_TRUE(q);
  gate ga, gb;
  gate_opener oa{ga}, ob{gb};
  span a, b;
  const cmwq::queue qref = q.ref();
  cmwq::work wb{[&] {
    b.begin();
    gb.wait();
    b.finish();
  }};
  cmwq::work wa{[&] {
    a.begin();
    ga.wait();
    (void)qref.enqueue(wb);  // queued after the flush took its colour
    a.finish();
  }};
  ASSERT_TRUE(q->enqueue(wa));
  CMWQ_ASSERT_WITHIN(a.started(), k_deadline);
  async_call f([&] {
    qref.flush();
    return true;
  });
  ASSERT_TRUE(f.blocked()) << dump_state();
  ga.open();
  CMWQ_ASSERT_WITHIN(f.done(), k_deadline / 2);  // gb is still closed: B cannot be done
  EXPECT_TRUE(a.finished());
  EXPECT_LE(a.end.load(), f.done_at());
  EXPECT_FALSE(b.finished());
  gb.open();
  q->flush();
  EXPECT_TRUE(b.finished());
}

// R19: an item that re-queues itself forever cannot livelock flush().
TEST(cxx_queue, flush_is_not_livelocked_by_a_self_requeueing_item) {
  auto q = cmwq::builder::unbound().build("cxxq-livelock");
  ASSERT_TRUE(q);
  std::atomic<bool> stop{false};
  std::atomic<int> runs{0};
  cmwq::work* self = nullptr;
  const cmwq::queue qref = q.ref();
  cmwq::work w{[&] {
    runs.fetch_add(1);
    burn_cpu_ms(0.05);
    if (!stop.load()) (void)qref.enqueue(*self);
  }};
  self = &w;
  ASSERT_TRUE(q->enqueue(w));
  CMWQ_ASSERT_WITHIN(runs.load() > 2, k_deadline);
  async_call f([&] {
    qref.flush();
    return true;
  });
  CMWQ_EXPECT_WITHIN(f.done(), k_deadline);
  stop.store(true);
  w.cancel_sync();
  f.join();
}

// A28: after flush() every item queued from either CPU has completed.
TEST(cxx_queue, flush_waits_for_items_from_every_cpu) {
  CMWQ_REQUIRE_CPUS(2);
  auto q = cmwq::builder::percpu().build("cxxq-flushcpu");
  ASSERT_TRUE(q);
  std::atomic<int> done{0};
  constexpr int per_cpu = 20;
  std::vector<std::unique_ptr<cmwq::work>> items;
  for (int i = 0; i < 2 * per_cpu; i++)
    items.push_back(std::make_unique<cmwq::work>([&] {
      burn_cpu_ms(0.5);
      done.fetch_add(1);
    }));
  for (int c = 0; c < 2; c++) {
    std::thread t([&, c] {
      cpu_pin pin(startup_cpus()[static_cast<std::size_t>(c)]);
      for (int i = 0; i < per_cpu; i++) EXPECT_TRUE(q->enqueue(*items[static_cast<std::size_t>(c * per_cpu + i)]));
    });
    t.join();
  }
  q->flush();
  EXPECT_EQ(done.load(), 2 * per_cpu);
}

// R21/A29: flushing an empty queue returns at once.
TEST(cxx_queue, flush_of_empty_queue_returns_at_once) {
  auto q = cmwq::builder::percpu().build("cxxq-flushempty");
  ASSERT_TRUE(q);
  const auto t0 = steady::now();
  q->flush();
  EXPECT_LT(steady::now() - t0, 2s);
}

// R20/A30: 40 concurrent flushers (more than the 16 colours) while items keep coming: every
// flush returns, and each waited for every item queued before it began.
TEST(cxx_queue, concurrent_flushers_each_wait_for_their_items) {
  auto q = cmwq::builder::unbound().max_active(4).build("cxxq-flush40");
  ASSERT_TRUE(q);
  const unsigned seed = test_seed();
  std::vector<std::atomic<bool>> done(k_flush_items);
  std::atomic<int> queued{0}, violations{0}, flushers_done{0};
  std::thread producer([&] {
    std::mt19937 rng(seed);
    for (int i = 0; i < k_flush_items; i++) {
      const double burn_ms = (rng() % 50) / 1000.0;
      EXPECT_FALSE(q->try_spawn([&done, i, burn_ms] {
        burn_cpu_ms(burn_ms);
        done[static_cast<std::size_t>(i)].store(true, std::memory_order_release);
      }));
      queued.store(i + 1, std::memory_order_release);
      if (rng() % 16 == 0) std::this_thread::yield();
    }
  });
  std::vector<std::thread> flushers;
  for (int t = 0; t < k_flushers; t++) {
    flushers.emplace_back([&] {
      for (int r = 0; r < k_flush_rounds; r++) {
        const int before = queued.load(std::memory_order_acquire);
        q->flush();
        for (int i = 0; i < before; i++)
          if (!done[static_cast<std::size_t>(i)].load(std::memory_order_acquire)) violations.fetch_add(1);
      }
      flushers_done.fetch_add(1);
    });
  }
  CMWQ_EXPECT_WITHIN(flushers_done.load() == k_flushers, 4 * k_deadline);
  producer.join();
  for (auto& t : flushers) t.join();
  EXPECT_EQ(violations.load(), 0);
  q->flush();
  for (int i = 0; i < k_flush_items; i++) ASSERT_TRUE(done[static_cast<std::size_t>(i)].load()) << i;
}

// --- R22-R25: drain -----------------------------------------------------------------------------

struct chain {
  cmwq::queue q;
  std::atomic<int>* generations;  // [k_chain_depth + 1]
  void run(int depth) const {
    burn_cpu_ms(0.5);
    generations[depth].fetch_add(1);
    if (depth < k_chain_depth) {
      const chain self = *this;
      EXPECT_FALSE(q.try_spawn([self, depth] { self.run(depth + 1); }));
    }
  }
};

// R22/A32: drain() returns only after every chained generation ran; the queue is empty after.
TEST(cxx_queue, drain_runs_chained_items_to_the_end) {
  auto q = cmwq::builder::percpu().build("cxxq-drain");
  ASSERT_TRUE(q);
  std::atomic<int> generations[k_chain_depth + 1] = {};
  const chain c{q.ref(), generations};
  for (int i = 0; i < k_chain_roots; i++) ASSERT_FALSE(q->try_spawn([c] { c.run(0); }));
  q->drain();
  for (int d = 0; d <= k_chain_depth; d++) EXPECT_EQ(generations[d].load(), k_chain_roots) << "generation " << d;
  cmwq::queue_stats st{};
  ASSERT_TRUE(q->stats(&st));
  EXPECT_EQ(st.nr_active, 0);
  EXPECT_EQ(st.nr_inactive, 0);
}

// Holds a queue in drain() (or destroy) on a thread, with one item blocking on a gate.
struct draining {
  explicit draining(cmwq::queue qr) : q(qr) {
    EXPECT_TRUE(q.enqueue(blocker));
    EXPECT_TRUE(wait_until([&] { return s.started(); })) << dump_state();
  }
  ~draining() { g.open(); }
  cmwq::queue q;
  gate g;
  span s;
  cmwq::work blocker{[this] {
    s.begin();
    g.wait();
  }};
};

// R23/D2/A33: while draining, queueing from outside returns false and drops the item.
TEST(cxx_queue, outside_enqueue_during_drain_is_dropped) {
  auto q = cmwq::builder::unbound().build("cxxq-drainq");
  ASSERT_TRUE(q);
  std::atomic<int> runs{0};
  cmwq::work w{[&] { runs.fetch_add(1); }};
  cmwq::delayed_work d{[&] { runs.fetch_add(1); }};
  draining dr(q.ref());
  const cmwq::queue qref = q.ref();
  async_call drainer([&] {
    qref.drain();
    return true;
  });
  ASSERT_TRUE(drainer.blocked()) << dump_state();
  EXPECT_FALSE(q->enqueue(w));
  EXPECT_FALSE(w.pending());
  EXPECT_FALSE(q->enqueue_delayed(d, 0ms));
  EXPECT_FALSE(d.pending());
  EXPECT_EQ(q->try_spawn([&] { runs.fetch_add(1); }), std::make_error_code(std::errc::invalid_argument));
  dr.g.open();
  drainer.join();
  q->flush();
  EXPECT_EQ(runs.load(), 0);
}

// D2: "warns once per queue with the kernel's cannot queue text": two queues, two warnings,
// each naming its queue.
TEST(cxx_queue, cannot_queue_warning_is_given_once_per_queue) {
  log_capture log;
  const char* names[] = {"cxxq-cannot1", "cxxq-cannot2"};
  for (const char* name : names) {
    auto q = cmwq::builder::unbound().build(name);
    ASSERT_TRUE(q);
    cmwq::work w{[] {}};
    draining dr(q.ref());
    const cmwq::queue qref = q.ref();
    async_call drainer([&] {
      qref.drain();
      return true;
    });
    ASSERT_TRUE(drainer.blocked()) << dump_state();
    EXPECT_FALSE(q->enqueue(w));
    EXPECT_FALSE(q->enqueue(w));
    dr.g.open();
    drainer.join();
    EXPECT_EQ(log.count_lines_with({"cannot queue", name}), 1u) << name << "\n" << log.joined();
  }
}

// R25/A34: after drain() returns, queueing works normally again.
TEST(cxx_queue, queueing_works_again_after_drain) {
  auto q = cmwq::builder::percpu().build("cxxq-afterdrain");
  ASSERT_TRUE(q);
  std::atomic<int> runs{0};
  cmwq::work w{[&] { runs.fetch_add(1); }};
  ASSERT_TRUE(q->enqueue(w));
  q->drain();
  EXPECT_TRUE(q->enqueue(w));
  q->flush();
  EXPECT_EQ(runs.load(), 2);
}

// --- R30-R34, D3: destroy ----------------------------------------------------------------------

// R31/A36: destroying a queue runs every pending item first, and the items they chain.
TEST(cxx_queue, destroy_runs_every_pending_item_first) {
  CMWQ_REQUIRE_CPUS(1);
  cpu_pin pin(cpu_a());
  auto q = cmwq::builder::percpu().max_active(1).build("cxxq-destroy");
  ASSERT_TRUE(q);
  std::atomic<int> runs{0}, chained{0};
  const cmwq::queue qref = q.ref();
  ASSERT_FALSE(q->try_spawn([] { burn_cpu_ms(5); }));  // holds the only slot a moment
  for (int i = 0; i < k_destroy_items; i++) {
    ASSERT_FALSE(q->try_spawn([&, qref] {
      runs.fetch_add(1);
      EXPECT_FALSE(qref.try_spawn([&] { chained.fetch_add(1); }));
    }));
  }
  q.reset();
  EXPECT_EQ(runs.load(), k_destroy_items);
  EXPECT_EQ(chained.load(), k_destroy_items);
}

// R34/A37: while destroy runs, queueing from outside returns false and drops the item.
TEST(cxx_queue, outside_enqueue_during_destroy_is_dropped) {
  auto q = cmwq::builder::unbound().build("cxxq-destroyq");
  ASSERT_TRUE(q);
  std::atomic<int> runs{0};
  cmwq::work w{[&] { runs.fetch_add(1); }};
  const cmwq::queue qref = q.ref();
  draining dr(qref);
  async_call destroyer([&] {
    q.reset();
    return true;
  });
  ASSERT_TRUE(destroyer.blocked()) << dump_state();
  EXPECT_FALSE(qref.enqueue(w));
  EXPECT_FALSE(w.pending());
  dr.g.open();
  destroyer.join();
  EXPECT_FALSE(qref.valid());
  EXPECT_EQ(runs.load(), 0);
}

// D3: every call on a destroyed queue warns and fails; nothing runs, nothing stays pending.
TEST(cxx_queue, use_after_destroy_warns_and_fails) {
  auto q = cmwq::builder::percpu().build("cxxq-uad");
  ASSERT_TRUE(q);
  const cmwq::queue_ref ref = q.ref();
  q.reset();
  ASSERT_FALSE(ref.valid());
  std::atomic<int> runs{0};
  cmwq::work w{[&] { runs.fetch_add(1); }};
  cmwq::delayed_work d{[&] { runs.fetch_add(1); }};
  auto warned = [](auto&& call) {
    const unsigned long before = cmwq::warn_count();
    call();
    return cmwq::warn_count() > before;
  };
  EXPECT_TRUE(warned([&] { EXPECT_FALSE(ref.enqueue(w)); }));
  EXPECT_TRUE(warned([&] { EXPECT_FALSE(ref.enqueue_delayed(d, 10ms)); }));
  EXPECT_TRUE(warned([&] { EXPECT_FALSE(ref.modify_delayed(d, 10ms)); }));
  EXPECT_TRUE(warned([&] {
    EXPECT_EQ(ref.try_spawn([&] { runs.fetch_add(1); }), std::make_error_code(std::errc::invalid_argument));
  }));
  EXPECT_TRUE(warned([&] { ref.flush(); }));
  EXPECT_TRUE(warned([&] { ref.drain(); }));
  EXPECT_TRUE(warned([&] { ref.set_max_active(4); }));
  EXPECT_FALSE(ref.congested());
  cmwq::queue_stats st{};
  EXPECT_FALSE(ref.stats(&st));
  EXPECT_FALSE(w.pending());
  EXPECT_FALSE(d.pending());
  std::this_thread::sleep_for(30ms);
  EXPECT_EQ(runs.load(), 0);
}

// D3: a handle stays invalid when its slot is reused by a new queue (generation check).
TEST(cxx_queue, stale_handle_stays_invalid_after_its_slot_is_reused) {
  auto q = cmwq::builder::percpu().build("cxxq-stale");
  ASSERT_TRUE(q);
  const cmwq::queue_ref stale = q.ref();
  q.reset();
  std::vector<cmwq::owned_queue> fresh;
  for (int i = 0; i < 4; i++) fresh.push_back(cmwq::builder::percpu().build("cxxq-fresh"));
  EXPECT_FALSE(stale.valid());
  cmwq::work w{[] {}};
  EXPECT_FALSE(stale.enqueue(w));
  for (auto& f : fresh) EXPECT_TRUE(f->valid());
}

// D3/R32/A39: destroy does not wait for an armed timer; when it fires later the item is dropped
// with a warning.
TEST(cxx_queue, delayed_item_firing_after_destroy_warns_and_is_dropped) {
  constexpr auto delay = 500ms;
  auto q = cmwq::builder::unbound().build("cxxq-latetimer");
  ASSERT_TRUE(q);
  std::atomic<int> runs{0};
  cmwq::delayed_work d{[&] { runs.fetch_add(1); }};
  ASSERT_TRUE(q->enqueue_delayed(d, delay));
  const unsigned long warns = cmwq::warn_count();
  q.reset();
  EXPECT_TRUE(d.pending()) << "destroy waited for the armed timer";
  CMWQ_ASSERT_WITHIN(!d.pending(), k_deadline);
  EXPECT_GT(cmwq::warn_count(), warns);
  std::this_thread::sleep_for(20ms);
  EXPECT_EQ(runs.load(), 0);
}

// A38: cancel_sync() of an armed item before destroy: no warning at all.
TEST(cxx_queue, cancelled_delayed_item_then_destroy_is_quiet) {
  auto q = cmwq::builder::unbound().build("cxxq-quiet");
  ASSERT_TRUE(q);
  cmwq::delayed_work d{[] {}};
  ASSERT_TRUE(q->enqueue_delayed(d, 50ms));
  const unsigned long warns = cmwq::warn_count();
  EXPECT_TRUE(d.cancel_sync());
  q.reset();
  std::this_thread::sleep_for(100ms);
  EXPECT_EQ(cmwq::warn_count(), warns);
}

// owned_queue: moving transfers ownership; move-assignment destroys the queue it replaces.
TEST(cxx_queue, owned_queue_moves_ownership) {
  auto a = cmwq::builder::percpu().build("cxxq-movea");
  auto c = cmwq::builder::percpu().build("cxxq-movec");
  ASSERT_TRUE(a);
  ASSERT_TRUE(c);
  const cmwq::queue_ref ra = a.ref(), rc = c.ref();
  cmwq::owned_queue b(std::move(a));
  EXPECT_FALSE(a);  // NOLINT(bugprone-use-after-move): moved-from is empty by contract
  EXPECT_TRUE(b->valid());
  c = std::move(b);
  EXPECT_FALSE(rc.valid()) << "the replaced queue was not destroyed";
  EXPECT_TRUE(ra.valid());
  EXPECT_EQ(c->handle(), ra.handle());
}

// --- R11-R14: max_active ------------------------------------------------------------------------

// R11/A66: a per-CPU queue runs at most max_active items at once on one CPU; the rest wait.
TEST(cxx_queue, percpu_max_active_bounds_items_on_one_cpu) {
  CMWQ_REQUIRE_CPUS(1);
  cpu_pin pin(cpu_a());
  auto q = cmwq::builder::percpu().max_active(2).build("cxxq-max2");
  ASSERT_TRUE(q);
  meter m;
  gate g;
  gate_opener opener{g};
  std::atomic<int> done{0};
  auto items = make_held(k_limit_items, m, g, done);
  for (auto& it : items) ASSERT_TRUE(q->enqueue(it->w));
  CMWQ_ASSERT_WITHIN(m.now() == 2, k_deadline);
  std::this_thread::sleep_for(30ms);
  EXPECT_EQ(m.now(), 2);
  cmwq::queue_stats st{};
  ASSERT_TRUE(q->stats(&st));
  EXPECT_EQ(st.nr_active, 2);
  EXPECT_EQ(st.nr_inactive, k_limit_items - 2);
  g.open();
  q->flush();
  EXPECT_EQ(done.load(), k_limit_items);
  EXPECT_EQ(m.max(), 2);
}

// R11/A67: the per-CPU limit is per CPU: one held item per CPU run at the same time.
TEST(cxx_queue, percpu_max_active_is_per_cpu) {
  CMWQ_REQUIRE_CPUS(2);
  auto q = cmwq::builder::percpu().max_active(1).build("cxxq-percpu1");
  ASSERT_TRUE(q);
  meter m;
  gate g;
  gate_opener opener{g};
  std::atomic<int> done{0};
  auto items = make_held(2, m, g, done);
  for (int c = 0; c < 2; c++) {
    cpu_pin pin(startup_cpus()[static_cast<std::size_t>(c)]);
    ASSERT_TRUE(q->enqueue(items[static_cast<std::size_t>(c)]->w));
  }
  CMWQ_EXPECT_WITHIN(m.now() == 2, k_deadline);
  g.open();
  q->flush();
  EXPECT_EQ(done.load(), 2);
}

// R12/A68: an unbound queue's max_active bounds the whole system.
TEST(cxx_queue, unbound_max_active_bounds_the_whole_system) {
  CMWQ_REQUIRE_CPUS(2);
  auto q = cmwq::builder::unbound().max_active(2).build("cxxq-unb2");
  ASSERT_TRUE(q);
  meter m;
  gate g;
  gate_opener opener{g};
  std::atomic<int> done{0};
  auto items = make_held(k_limit_items, m, g, done);
  for (int i = 0; i < k_limit_items; i++) {
    cpu_pin pin(startup_cpus()[static_cast<std::size_t>(i % 2)]);
    ASSERT_TRUE(q->enqueue(items[static_cast<std::size_t>(i)]->w));
  }
  CMWQ_ASSERT_WITHIN(m.now() == 2, k_deadline);
  std::this_thread::sleep_for(30ms);
  EXPECT_EQ(m.now(), 2);
  g.open();
  q->flush();
  EXPECT_EQ(done.load(), k_limit_items);
  EXPECT_EQ(m.max(), 2);
}

// R11/A69: with max_active 1 a per-CPU queue runs one CPU's items in queueing order.
TEST(cxx_queue, percpu_max_active_one_runs_in_queueing_order) {
  CMWQ_REQUIRE_CPUS(1);
  cpu_pin pin(cpu_a());
  auto q = cmwq::builder::percpu().max_active(1).build("cxxq-fifo");
  ASSERT_TRUE(q);
  std::atomic<int> next{0};
  std::atomic<int> order[k_fifo_items];
  for (auto& o : order) o.store(-1);
  for (int i = 0; i < k_fifo_items; i++)
    ASSERT_FALSE(q->try_spawn([&, i] {
      burn_cpu_ms(0.2);
      order[next.fetch_add(1)].store(i);
    }));
  q->flush();
  for (int i = 0; i < k_fifo_items; i++) EXPECT_EQ(order[i].load(), i);
}

// R14/A70: raising max_active activates waiting items at once, up to the new limit.
TEST(cxx_queue, raising_max_active_activates_waiting_items) {
  CMWQ_REQUIRE_CPUS(1);
  cpu_pin pin(cpu_a());
  auto q = cmwq::builder::percpu().max_active(1).build("cxxq-raise");
  ASSERT_TRUE(q);
  meter m;
  gate g;
  gate_opener opener{g};
  std::atomic<int> done{0};
  auto items = make_held(k_limit_items, m, g, done);
  for (auto& it : items) ASSERT_TRUE(q->enqueue(it->w));
  CMWQ_ASSERT_WITHIN(m.now() == 1, k_deadline);
  q->set_max_active(3);
  CMWQ_ASSERT_WITHIN(m.now() == 3, k_deadline);
  g.open();
  q->flush();
  EXPECT_EQ(done.load(), k_limit_items);
  EXPECT_EQ(m.max(), 3);
}

// R14: lowering max_active never preempts running items; later items obey the new limit.
TEST(cxx_queue, lowering_max_active_never_preempts_running_items) {
  CMWQ_REQUIRE_CPUS(1);
  cpu_pin pin(cpu_a());
  auto q = cmwq::builder::percpu().max_active(3).build("cxxq-lower");
  ASSERT_TRUE(q);
  meter first, later;
  gate g;
  gate_opener opener{g};
  std::atomic<int> done{0};
  auto items = make_held(3, first, g, done);
  for (auto& it : items) ASSERT_TRUE(q->enqueue(it->w));
  CMWQ_ASSERT_WITHIN(first.now() == 3, k_deadline);
  q->set_max_active(1);
  gate g2;
  gate_opener opener2{g2};
  auto more = make_held(3, later, g2, done);
  for (auto& it : more) ASSERT_TRUE(q->enqueue(it->w));
  std::this_thread::sleep_for(30ms);
  EXPECT_EQ(first.now(), 3) << "running items were disturbed";
  EXPECT_EQ(later.now(), 0);
  g.open();
  CMWQ_ASSERT_WITHIN(later.now() == 1, k_deadline);
  std::this_thread::sleep_for(30ms);
  EXPECT_EQ(later.now(), 1);
  g2.open();
  q->flush();
  EXPECT_EQ(done.load(), 6);
  EXPECT_EQ(later.max(), 1);
}

// A72 (through set_max_active): out-of-range values are clamped to [1, 2048] with a message.
TEST(cxx_queue, set_max_active_clamps_out_of_range_values) {
  auto q = cmwq::builder::percpu().build("cxxq-clamp");
  ASSERT_TRUE(q);
  log_capture log;
  cmwq::queue_stats st{};
  q->set_max_active(5000);
  ASSERT_TRUE(q->stats(&st));
  EXPECT_EQ(st.max_active, 2048);
  EXPECT_TRUE(log.contains("max_active 5000 requested for cxxq-clamp is out of range, clamping between 1 and 2048"))
      << log.joined();
  q->set_max_active(0);
  ASSERT_TRUE(q->stats(&st));
  EXPECT_EQ(st.max_active, 1);
}

// A60: congested(cpu) is true while items wait for max_active on that CPU only.
TEST(cxx_queue, congested_reports_waiting_items_per_cpu) {
  CMWQ_REQUIRE_CPUS(2);
  auto q = cmwq::builder::percpu().max_active(1).build("cxxq-congest");
  ASSERT_TRUE(q);
  meter m;
  gate g;
  gate_opener opener{g};
  std::atomic<int> done{0};
  auto items = make_held(2, m, g, done);
  {
    cpu_pin pin(cpu_a());
    for (auto& it : items) ASSERT_TRUE(q->enqueue(it->w));
  }
  CMWQ_ASSERT_WITHIN(m.now() == 1, k_deadline);
  EXPECT_TRUE(q->congested(cpu_a()));
  EXPECT_FALSE(q->congested(cpu_b()));
  g.open();
  q->flush();
  EXPECT_FALSE(q->congested(cpu_a()));
}

// --- R8-R10: ordered ----------------------------------------------------------------------------

// R8/A63: an ordered queue runs items one at a time in exactly the global queueing order, even
// when two threads on different CPUs queue them.
TEST(cxx_queue, ordered_runs_one_at_a_time_in_global_queueing_order) {
  CMWQ_REQUIRE_CPUS(2);
  auto q = cmwq::builder::ordered().build("cxxq-ordered");
  ASSERT_TRUE(q);
  meter m;
  std::atomic<int> next{0};
  std::vector<std::atomic<int>> order(k_ordered_items);
  for (auto& o : order) o.store(-1);
  struct item {
    int seq = -1;
    std::unique_ptr<cmwq::work> w;
  };
  std::vector<item> items(k_ordered_items);
  for (auto& it : items)
    it.w = std::make_unique<cmwq::work>([&m, &next, &order, &it] {
      meter_scope in(m);
      burn_cpu_ms(0.05);
      order[static_cast<std::size_t>(next.fetch_add(1))].store(it.seq);
    });
  std::mutex queueing;  // makes "queueing order" one global sequence
  int seq = 0;
  std::vector<std::thread> threads;
  for (int t = 0; t < 2; t++) {
    threads.emplace_back([&, t] {
      cpu_pin pin(startup_cpus()[static_cast<std::size_t>(t)]);
      for (int i = t; i < k_ordered_items; i += 2) {
        std::lock_guard<std::mutex> g(queueing);
        items[static_cast<std::size_t>(i)].seq = seq++;
        EXPECT_TRUE(q->enqueue(*items[static_cast<std::size_t>(i)].w));
      }
    });
  }
  for (auto& th : threads) th.join();
  q->flush();
  EXPECT_EQ(m.max(), 1);
  for (int i = 0; i < k_ordered_items; i++) ASSERT_EQ(order[static_cast<std::size_t>(i)].load(), i) << "position " << i;
}

// R9/A64: set_max_active() on an ordered queue warns and changes nothing.
TEST(cxx_queue, ordered_refuses_set_max_active_with_a_warning) {
  auto q = cmwq::builder::ordered().build("cxxq-ordmax");
  ASSERT_TRUE(q);
  const unsigned long warns = cmwq::warn_count();
  q->set_max_active(4);
  EXPECT_GT(cmwq::warn_count(), warns);
  cmwq::queue_stats st{};
  ASSERT_TRUE(q->stats(&st));
  EXPECT_EQ(st.max_active, 1);
  meter m;
  for (int i = 0; i < k_fifo_items; i++)
    ASSERT_FALSE(q->try_spawn([&m] {
      meter_scope in(m);
      burn_cpu_ms(0.5);
    }));
  q->flush();
  EXPECT_EQ(m.max(), 1);
}

// builder.hpp: max_active() is ignored for ordered() queues.
TEST(cxx_queue, ordered_builder_ignores_max_active) {
  auto q = cmwq::builder::ordered().max_active(8).build("cxxq-ordbuild");
  ASSERT_TRUE(q);
  cmwq::queue_stats st{};
  ASSERT_TRUE(q->stats(&st));
  EXPECT_EQ(st.max_active, 1);
  meter m;
  gate g;
  gate_opener opener{g};
  std::atomic<int> done{0};
  auto items = make_held(3, m, g, done);
  for (auto& it : items) ASSERT_TRUE(q->enqueue(it->w));
  CMWQ_ASSERT_WITHIN(m.now() == 1, k_deadline);
  std::this_thread::sleep_for(30ms);
  EXPECT_EQ(m.now(), 1);
  g.open();
  q->flush();
  EXPECT_EQ(m.max(), 1);
}

// --- misuse -------------------------------------------------------------------------------------

// queue.hpp trap: flushing one's own queue from one of its items warns and returns.
TEST(cxx_queue, flush_from_own_item_warns_and_returns) {
  auto q = cmwq::builder::percpu().build("cxxq-selfflush");
  ASSERT_TRUE(q);
  std::atomic<int> warned{-1};
  const cmwq::queue qref = q.ref();
  ASSERT_FALSE(q->try_spawn([&, qref] {
    const unsigned long before = cmwq::warn_count();
    qref.flush();
    warned.store(cmwq::warn_count() > before ? 1 : 0);
  }));
  CMWQ_ASSERT_WITHIN(warned.load() != -1, k_deadline);
  EXPECT_EQ(warned.load(), 1);
}

// queue.hpp trap: draining one's own queue from one of its items warns and returns.
TEST(cxx_queue, drain_from_own_item_warns_and_returns) {
  auto q = cmwq::builder::unbound().build("cxxq-selfdrain");
  ASSERT_TRUE(q);
  std::atomic<int> warned{-1};
  const cmwq::queue qref = q.ref();
  ASSERT_FALSE(q->try_spawn([&, qref] {
    const unsigned long before = cmwq::warn_count();
    qref.drain();
    warned.store(cmwq::warn_count() > before ? 1 : 0);
  }));
  CMWQ_ASSERT_WITHIN(warned.load() != -1, k_deadline);
  EXPECT_EQ(warned.load(), 1);
}

// System queues are never destroyed: an owned_queue wrapped around one warns on reset().
TEST(cxx_queue, destroying_a_system_queue_warns_and_keeps_it) {
  const unsigned long warns = cmwq::warn_count();
  {
    cmwq::owned_queue o(cmwq::system());
    o.reset();
  }
  EXPECT_GT(cmwq::warn_count(), warns);
  EXPECT_TRUE(cmwq::system().valid());
  cmwq::work w{[] {}};
  EXPECT_TRUE(cmwq::system().enqueue(w));
  w.flush();
}

// --- builder (section 3) -------------------------------------------------------------------------

// The builder's flag bits are the kernel's WQ_* values.
TEST(cxx_builder, flags_are_the_kernel_bits) {
  EXPECT_EQ(cmwq::builder::percpu().flags(), static_cast<unsigned>(WQ_PERCPU));
  EXPECT_EQ(cmwq::builder::unbound().flags(), static_cast<unsigned>(WQ_UNBOUND));
  EXPECT_EQ(cmwq::builder::ordered().flags(), static_cast<unsigned>(WQ_UNBOUND | __WQ_ORDERED));
  EXPECT_EQ(cmwq::builder::percpu().freezable().flags(), static_cast<unsigned>(WQ_PERCPU | WQ_FREEZABLE));
  EXPECT_EQ(cmwq::builder::percpu().mem_reclaim().flags(), static_cast<unsigned>(WQ_PERCPU | WQ_MEM_RECLAIM));
  EXPECT_EQ(cmwq::builder::percpu().highpri().flags(), static_cast<unsigned>(WQ_PERCPU | WQ_HIGHPRI));
  EXPECT_EQ(cmwq::builder::percpu().cpu_intensive().flags(), static_cast<unsigned>(WQ_PERCPU | WQ_CPU_INTENSIVE));
  EXPECT_EQ(cmwq::builder::unbound().sysfs().flags(), static_cast<unsigned>(WQ_UNBOUND | WQ_SYSFS));
  EXPECT_EQ(cmwq::builder::percpu().power_efficient().flags(), static_cast<unsigned>(WQ_PERCPU | WQ_POWER_EFFICIENT));
  EXPECT_EQ(cmwq::builder::ordered().highpri().mem_reclaim().flags(),
            static_cast<unsigned>(WQ_UNBOUND | __WQ_ORDERED | WQ_HIGHPRI | WQ_MEM_RECLAIM));
}

struct combo {
  const char* name;
  cmwq::builder b;
};

class cxx_builder_combo : public ::testing::TestWithParam<combo> {};

// Every valid combination builds a queue whose items run, and reports no error.
TEST_P(cxx_builder_combo, builds_and_runs_items) {
  std::error_code ec = std::make_error_code(std::errc::io_error);
  auto q = GetParam().b.build(GetParam().name, ec);
  ASSERT_TRUE(q) << ec.message();
  EXPECT_FALSE(ec);
  EXPECT_EQ(q->name(), GetParam().name);
  std::atomic<int> runs{0};
  cmwq::work w{[&] { runs.fetch_add(1); }};
  ASSERT_TRUE(q->enqueue(w));
  for (int i = 0; i < 3; i++) EXPECT_FALSE(q->try_spawn([&] { runs.fetch_add(1); }));
  q->flush();
  EXPECT_EQ(runs.load(), 4);
}

INSTANTIATE_TEST_SUITE_P(
    flags, cxx_builder_combo,
    ::testing::Values(combo{"cb-percpu", cmwq::builder::percpu()},
                      combo{"cb-percpu-hi", cmwq::builder::percpu().highpri()},
                      combo{"cb-percpu-ci", cmwq::builder::percpu().cpu_intensive()},
                      combo{"cb-percpu-hi-ci", cmwq::builder::percpu().highpri().cpu_intensive()},
                      combo{"cb-percpu-rcl", cmwq::builder::percpu().mem_reclaim()},
                      combo{"cb-percpu-frz", cmwq::builder::percpu().freezable()},
                      combo{"cb-percpu-sysfs", cmwq::builder::percpu().sysfs()},
                      combo{"cb-percpu-pwr", cmwq::builder::percpu().power_efficient()},
                      combo{"cb-percpu-max1", cmwq::builder::percpu().max_active(1)},
                      combo{"cb-unbound", cmwq::builder::unbound()},
                      combo{"cb-unbound-hi", cmwq::builder::unbound().highpri()},
                      combo{"cb-unbound-rcl-frz", cmwq::builder::unbound().mem_reclaim().freezable()},
                      combo{"cb-unbound-sysfs-max3", cmwq::builder::unbound().sysfs().max_active(3)},
                      combo{"cb-unbound-ci", cmwq::builder::unbound().cpu_intensive()},
                      combo{"cb-ordered", cmwq::builder::ordered()},
                      combo{"cb-ordered-hi", cmwq::builder::ordered().highpri()},
                      combo{"cb-ordered-rcl", cmwq::builder::ordered().mem_reclaim()},
                      combo{"cb-ordered-frz-sysfs", cmwq::builder::ordered().freezable().sysfs()}),
    [](const ::testing::TestParamInfo<combo>& info) {
      std::string n = info.param.name;
      for (char& ch : n)
        if (ch == '-') ch = '_';
      return n;
    });

// Runs one item on `q` from the calling thread and returns {CPU, worker name} seen inside.
std::pair<int, std::string> probe(const cmwq::queue& q) {
  std::atomic<int> cpu{-1};
  std::string comm;
  std::atomic<bool> done{false};
  cmwq::work w{[&] {
    comm = worker_comm();
    cpu.store(sched_getcpu());
    done.store(true);
  }};
  EXPECT_TRUE(q.enqueue(w));
  EXPECT_TRUE(wait_until([&] { return done.load(); })) << dump_state();
  w.flush();
  return {cpu.load(), comm};
}

// R44/6.1: a per-CPU queue runs items on the queueing CPU, on that CPU's normal workers.
TEST(cxx_builder, percpu_items_run_on_the_queueing_cpu) {
  CMWQ_REQUIRE_CPUS(2);
  auto q = cmwq::builder::percpu().build("cxxb-percpu");
  ASSERT_TRUE(q);
  for (int c : {cpu_a(), cpu_b()}) {
    cpu_pin pin(c);
    const auto [cpu, comm] = probe(q.ref());
    EXPECT_EQ(cpu, c);
    const std::string prefix = "kworker/" + std::to_string(c) + ":";
    EXPECT_EQ(comm.rfind(prefix, 0), 0u) << comm;
    EXPECT_EQ(comm.find("H+"), std::string::npos) << comm;
    EXPECT_NE(comm.find("+cxxb-percpu"), std::string::npos) << comm;
  }
}

// 5.10/6.1: highpri() per-CPU items run on the CPU's high-priority workers ("kworker/<c>:<id>H").
TEST(cxx_builder, highpri_items_run_on_highpri_workers) {
  CMWQ_REQUIRE_CPUS(1);
  auto q = cmwq::builder::percpu().highpri().build("cxxb-hi");
  ASSERT_TRUE(q);
  cpu_pin pin(cpu_a());
  const auto [cpu, comm] = probe(q.ref());
  EXPECT_EQ(cpu, cpu_a());
  const std::string prefix = "kworker/" + std::to_string(cpu_a()) + ":";
  EXPECT_EQ(comm.rfind(prefix, 0), 0u) << comm;
  EXPECT_NE(comm.find("H+cxxb-hi"), std::string::npos) << comm;
}

// 6.1: unbound() and ordered() items run on unbound workers ("kworker/u<pool>:<id>").
TEST(cxx_builder, unbound_and_ordered_items_run_on_unbound_workers) {
  auto u = cmwq::builder::unbound().build("cxxb-unb");
  auto o = cmwq::builder::ordered().build("cxxb-ord");
  ASSERT_TRUE(u);
  ASSERT_TRUE(o);
  for (const cmwq::queue& q : {u.ref(), o.ref()}) {
    const auto [cpu, comm] = probe(q);
    EXPECT_EQ(comm.rfind("kworker/u", 0), 0u) << comm;
  }
}

// 5.12/A84: mem_reclaim() gives the queue a rescuer thread "kworker/R-<name>", removed with it.
TEST(cxx_builder, mem_reclaim_queue_owns_a_rescuer_thread) {
  const std::string rescuer = "kworker/R-cxr1";  // fits the 15-character thread name
  auto q = cmwq::builder::percpu().mem_reclaim().build("cxr1");
  ASSERT_TRUE(q);
  CMWQ_EXPECT_WITHIN(thread_named(rescuer), k_deadline);
  q.reset();
  CMWQ_EXPECT_WITHIN(!thread_named(rescuer), k_deadline);
}

// A61: items of a mem_reclaim() queue see current_is_workqueue_mem_reclaim(); others do not.
TEST(cxx_builder, mem_reclaim_items_know_it) {
  auto r = cmwq::builder::unbound().mem_reclaim().build("cxxb-rcl");
  auto n = cmwq::builder::unbound().build("cxxb-norcl");
  ASSERT_TRUE(r);
  ASSERT_TRUE(n);
  std::atomic<int> in_r{-1}, in_n{-1};
  ASSERT_FALSE(r->try_spawn([&] { in_r.store(current_is_workqueue_mem_reclaim() ? 1 : 0); }));
  ASSERT_FALSE(n->try_spawn([&] { in_n.store(current_is_workqueue_mem_reclaim() ? 1 : 0); }));
  r->flush();
  n->flush();
  EXPECT_EQ(in_r.load(), 1);
  EXPECT_EQ(in_n.load(), 0);
  EXPECT_FALSE(current_is_workqueue_mem_reclaim());
}

// Thaws on scope exit, so a failing test never leaves the process frozen.
struct freeze_guard {
  freeze_guard() { freeze_workqueues_begin(); }
  ~freeze_guard() { thaw(); }
  void thaw() {
    if (frozen) thaw_workqueues();
    frozen = false;
  }
  bool frozen = true;
};

// 5.13/A88: a freezable() queue holds newly queued items while frozen; thawing runs them.
TEST(cxx_builder, freezable_queue_holds_items_while_frozen) {
  auto q = cmwq::builder::percpu().freezable().build("cxxb-frz");
  ASSERT_TRUE(q);
  std::atomic<int> runs{0};
  cmwq::work w{[&] { runs.fetch_add(1); }};
  freeze_guard frozen;
  ASSERT_TRUE(q->enqueue(w));
  std::this_thread::sleep_for(50ms);
  EXPECT_EQ(runs.load(), 0);
  EXPECT_TRUE(w.pending());
  frozen.thaw();
  CMWQ_EXPECT_WITHIN(runs.load() == 1, k_deadline);
}

// 5.13/A90: freezing does not delay items of a queue without freezable().
TEST(cxx_builder, non_freezable_queue_runs_while_frozen) {
  auto q = cmwq::builder::percpu().build("cxxb-nofrz");
  ASSERT_TRUE(q);
  std::atomic<int> runs{0};
  cmwq::work w{[&] { runs.fetch_add(1); }};
  freeze_guard frozen;
  ASSERT_TRUE(q->enqueue(w));
  CMWQ_EXPECT_WITHIN(runs.load() == 1, k_deadline);
}

// 3.1: with the power-efficient switch on, a power_efficient() per-CPU queue is unbound.
TEST(cxx_builder, power_efficient_follows_the_switch) {
  struct restore {
    ~restore() { cmwq_set_power_efficient(env_or("CMWQ_POWER_EFFICIENT", 0) != 0); }
  } r;
  cmwq_set_power_efficient(true);
  auto q = cmwq::builder::percpu().power_efficient().build("cxxb-pwr");
  ASSERT_TRUE(q);
  const auto [cpu, comm] = probe(q.ref());
  EXPECT_EQ(comm.rfind("kworker/u", 0), 0u) << comm;
}

// A71: max_active 0 means the default, 1024.
TEST(cxx_builder, max_active_zero_means_the_default) {
  auto q = cmwq::builder::percpu().max_active(0).build("cxxb-dfl");
  ASSERT_TRUE(q);
  cmwq::queue_stats st{};
  ASSERT_TRUE(q->stats(&st));
  EXPECT_EQ(st.max_active, 1024);
}

// A72: an out-of-range max_active is clamped into [1, 2048] with the kernel's message.
TEST(cxx_builder, out_of_range_max_active_is_clamped_with_a_message) {
  log_capture log;
  auto hi = cmwq::builder::percpu().max_active(5000).build("cxxb-5000");
  auto lo = cmwq::builder::unbound().max_active(-3).build("cxxb-neg");
  ASSERT_TRUE(hi);
  ASSERT_TRUE(lo);
  cmwq::queue_stats st{};
  ASSERT_TRUE(hi->stats(&st));
  EXPECT_EQ(st.max_active, 2048);
  ASSERT_TRUE(lo->stats(&st));
  EXPECT_EQ(st.max_active, 1);
  EXPECT_TRUE(log.contains("max_active 5000 requested for cxxb-5000 is out of range, clamping between 1 and 2048"))
      << log.joined();
  EXPECT_TRUE(log.contains("max_active -3 requested for cxxb-neg is out of range")) << log.joined();
}

// A97: a long name keeps its first 31 characters, with a "name exceeds WQ_NAME_LEN" warning.
// The warning is WARN_ONCE (per process): only the first run in a process can see it.
TEST(cxx_builder, long_name_is_truncated_with_a_warning) {
  static bool first_in_process = true;
  const std::string name = "cxxb-a-forty-character-workqueue-name-xx";
  ASSERT_EQ(name.size(), 40u);
  log_capture log;
  auto q = cmwq::builder::percpu().build(name);
  ASSERT_TRUE(q);
  EXPECT_EQ(q->name(), name.substr(0, k_wq_name_len - 1));
  if (first_in_process) {
    EXPECT_TRUE(log.contains("name exceeds WQ_NAME_LEN")) << log.joined();
  }
  first_in_process = false;
}

// --- try_spawn -----------------------------------------------------------------------------------

// Every spawned closure runs exactly once.
TEST(cxx_spawn, spawned_closures_run_exactly_once) {
  auto q = cmwq::builder::percpu().build("cxxs-once");
  ASSERT_TRUE(q);
  std::vector<std::atomic<int>> runs(k_spawns);
  for (int i = 0; i < k_spawns; i++)
    ASSERT_FALSE(q->try_spawn([&runs, i] { runs[static_cast<std::size_t>(i)].fetch_add(1); }));
  q->flush();
  for (int i = 0; i < k_spawns; i++) EXPECT_EQ(runs[static_cast<std::size_t>(i)].load(), 1) << i;
}

// A spawned closure (and what it captured) is destroyed right after its run.
TEST(cxx_spawn, spawned_closure_is_destroyed_after_its_run) {
  auto q = cmwq::builder::unbound().build("cxxs-free");
  ASSERT_TRUE(q);
  auto token = std::make_shared<int>(7);
  std::atomic<int> seen{0};
  ASSERT_FALSE(q->try_spawn([token, &seen] { seen.store(*token); }));
  q->flush();
  EXPECT_EQ(seen.load(), 7);
  EXPECT_EQ(token.use_count(), 1);
}

// Move-only closures are accepted.
TEST(cxx_spawn, move_only_closures_are_accepted) {
  auto q = cmwq::builder::percpu().build("cxxs-moveonly");
  ASSERT_FALSE(!q);
  auto p = std::make_unique<int>(42);
  std::atomic<int> seen{0};
  ASSERT_FALSE(q->try_spawn([p = std::move(p), &seen] { seen.store(*p); }));
  q->flush();
  EXPECT_EQ(seen.load(), 42);
}

// An allocation failure returns errc::not_enough_memory; the closure never runs and is freed.
TEST(cxx_spawn, allocation_failure_returns_not_enough_memory) {
  auto q = cmwq::builder::percpu().build("cxxs-nomem");
  ASSERT_TRUE(q);
  auto token = std::make_shared<int>(1);
  std::atomic<int> runs{0};
  {
    spawn_fault_guard fail;
    EXPECT_EQ(q->try_spawn([token, &runs] { runs.fetch_add(1); }), std::make_error_code(std::errc::not_enough_memory));
  }
  q->flush();
  EXPECT_EQ(runs.load(), 0);
  EXPECT_EQ(token.use_count(), 1);
  EXPECT_FALSE(q->try_spawn([token, &runs] { runs.fetch_add(1); }));  // works again
  q->flush();
  EXPECT_EQ(runs.load(), 1);
}

// On a destroyed queue try_spawn returns errc::invalid_argument with a warning; the closure
// never runs and is freed.
TEST(cxx_spawn, spawn_on_destroyed_queue_returns_invalid_argument) {
  auto q = cmwq::builder::percpu().build("cxxs-gone");
  ASSERT_TRUE(q);
  const cmwq::queue_ref ref = q.ref();
  q.reset();
  auto token = std::make_shared<int>(1);
  std::atomic<int> runs{0};
  const unsigned long warns = cmwq::warn_count();
  EXPECT_EQ(ref.try_spawn([token, &runs] { runs.fetch_add(1); }), std::make_error_code(std::errc::invalid_argument));
  EXPECT_GT(cmwq::warn_count(), warns);
  EXPECT_EQ(token.use_count(), 1);
  EXPECT_EQ(runs.load(), 0);
}

// Destroying a queue with spawned items pending runs and frees every one of them.
TEST(cxx_spawn, destroy_runs_and_frees_pending_spawned_items) {
  auto q = cmwq::builder::ordered().build("cxxs-destroy");
  ASSERT_TRUE(q);
  auto token = std::make_shared<int>(1);
  std::atomic<int> runs{0};
  for (int i = 0; i < k_spawns; i++) ASSERT_FALSE(q->try_spawn([token, &runs] { runs.fetch_add(1); }));
  q.reset();
  EXPECT_EQ(runs.load(), k_spawns);
  EXPECT_EQ(token.use_count(), 1);
}

// --- system queues (2.9, D1) --------------------------------------------------------------------

TEST(cxx_system, system_queues_have_the_kernel_names) {
  EXPECT_EQ(cmwq::system().name(), "events");
  EXPECT_EQ(cmwq::system_percpu().name(), "events");
  EXPECT_EQ(cmwq::system_highpri().name(), "events_highpri");
  EXPECT_EQ(cmwq::system_long().name(), "events_long");
  EXPECT_EQ(cmwq::system_unbound().name(), "events_unbound");
  EXPECT_EQ(cmwq::system_dfl().name(), "events_unbound");
  EXPECT_EQ(cmwq::system_freezable().name(), "events_freezable");
  EXPECT_EQ(cmwq::system_power_efficient().name(), "events_power_efficient");
  EXPECT_EQ(cmwq::system_freezable_power_efficient().name(), "events_freezable_pwr_efficient");
}

// D1: system() is system_percpu(), system_unbound() is system_dfl().
TEST(cxx_system, old_names_are_aliases) {
  EXPECT_EQ(cmwq::system().handle(), cmwq::system_percpu().handle());
  EXPECT_EQ(cmwq::system_unbound().handle(), cmwq::system_dfl().handle());
  EXPECT_NE(cmwq::system().handle(), cmwq::system_unbound().handle());
}

// Items run on every system queue.
TEST(cxx_system, items_run_on_every_system_queue) {
  const cmwq::queue queues[] = {cmwq::system(),          cmwq::system_highpri(),  cmwq::system_long(),
                                cmwq::system_unbound(),  cmwq::system_freezable(), cmwq::system_power_efficient(),
                                cmwq::system_freezable_power_efficient()};
  for (const cmwq::queue& q : queues) {
    ASSERT_TRUE(q.valid()) << q.name();
    std::atomic<int> runs{0};
    cmwq::work w{[&] { runs.fetch_add(1); }};
    ASSERT_TRUE(q.enqueue(w)) << q.name();
    CMWQ_EXPECT_WITHIN(runs.load() == 1, k_deadline);
    w.flush();
  }
}

// A31: flushing a system queue prints the kernel's notice and still completes.
TEST(cxx_system, flushing_a_system_queue_prints_the_notice) {
  log_capture log;
  std::atomic<int> runs{0};
  cmwq::work w{[&] { runs.fetch_add(1); }};
  ASSERT_TRUE(cmwq::system().enqueue(w));
  cmwq::system().flush();
  EXPECT_EQ(runs.load(), 1);
  EXPECT_TRUE(log.contains("Flushing system-wide workqueues will be prohibited in near future.")) << log.joined();
}

}  // namespace
