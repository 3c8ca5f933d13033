// tests/cxx_work_test.cpp - cmwq::work and cmwq::delayed_work through the C++ front door:
// queueing and PENDING (R1-R4), non-reentrancy and self-requeueing (R5, R6), delayed work and
// modify_delayed (R35-R37), flush (R15-R17), cancel / cancel_sync (R26-R28), disable / enable
// (R38-R40), the pending/running queries (R42) and the item destructor (work.hpp).
// Behavioural assertions of semantics.md section 10 are cited as "A<n>".
//
// One smoke walk first, then one property per test. Every wait has a deadline; waits that time
// out dump the state of every queue.
#include "test_support.hpp"

#include <pthread.h>
#include <signal.h>

#include <memory>
#include <string>

namespace {

using namespace cmwq_test;

constexpr int k_stress_threads = 4;       // threads queueing at the same time
constexpr int k_stress_items = 16;        // distinct items they pick from
constexpr int k_stress_attempts = 400;    // enqueue attempts per thread
constexpr int k_requeues = 5;             // A6: an item re-queues itself this many times
constexpr int k_handoffs = 200;           // writes handed to a run through enqueue()
constexpr int k_disable_max = 65535;      // R38: the disable count saturates here

// An ordered queue whose single slot is held by a blocker item until release() (or the
// destructor): anything queued behind it stays pending, not started (A2).
class blocked_queue {
 public:
  explicit blocked_queue(const char* name) : q(cmwq::builder::ordered().build(name)) {
    EXPECT_TRUE(q);
    EXPECT_TRUE(q->enqueue(blocker));
    EXPECT_TRUE(wait_until([&] { return blocker_span.started(); })) << dump_state();
  }
  ~blocked_queue() { release(); }
  void release() { g.open(); }

  cmwq::owned_queue q;
  gate g;
  span blocker_span;
  cmwq::work blocker{[this] {
    blocker_span.begin();
    g.wait();
    blocker_span.finish();
  }};
};

cmwq::owned_queue unbound_queue(const char* name) {
  auto q = cmwq::builder::unbound().build(name);
  EXPECT_TRUE(q) << name;
  return q;
}

// ------------------------------------------------------------------------------------------------

TEST(cxx_work, smoke_walks_idle_pending_running_and_back) {
  auto q = unbound_queue("cxxw-smoke");
  gate g;
  std::atomic<int> runs{0};
  span first;
  cmwq::work w{[&] {
    if (runs.fetch_add(1) == 0) {
      first.begin();
      g.wait();
      first.finish();
    }
  }};
  gate_opener opener{g};

  EXPECT_FALSE(w.pending());
  EXPECT_FALSE(w.running());
  EXPECT_FALSE(w.flush());
  EXPECT_FALSE(w.cancel());

  EXPECT_TRUE(q->enqueue(w));
  CMWQ_ASSERT_WITHIN(first.started(), k_deadline);
  EXPECT_TRUE(w.running());
  EXPECT_FALSE(w.pending());

  EXPECT_TRUE(q->enqueue(w));  // running + pending
  EXPECT_TRUE(w.pending());
  EXPECT_FALSE(q->enqueue(w));

  g.open();
  (void)w.flush();  // true or false: the pending run may already be over
  CMWQ_ASSERT_WITHIN(runs.load() == 2, k_deadline);
  q->flush();
  EXPECT_FALSE(w.pending());
  EXPECT_FALSE(w.running());
  EXPECT_FALSE(w.cancel_sync());
  EXPECT_EQ(runs.load(), 2);
}

// --- R1, R2, R3: PENDING -----------------------------------------------------------------------

// R1/R2: every enqueue() that returns true produces exactly one run, whatever the contention.
TEST(cxx_work, enqueue_true_means_exactly_one_run) {
  auto q = cmwq::builder::unbound().max_active(k_stress_threads).build("cxxw-once");
  ASSERT_TRUE(q);
  struct counted {
    std::atomic<int> runs{0};
    std::atomic<int> trues{0};
    cmwq::work w{[this] { runs.fetch_add(1); }};
  };
  std::vector<counted> items(k_stress_items);
  const unsigned seed = test_seed();
  {
    std::vector<std::thread> threads;
    for (int t = 0; t < k_stress_threads; t++) {
      threads.emplace_back([&, t] {
        std::mt19937 rng(seed + static_cast<unsigned>(t));
        for (int i = 0; i < k_stress_attempts; i++) {
          counted& c = items[rng() % k_stress_items];
          if (q->enqueue(c.w)) c.trues.fetch_add(1);
        }
      });
    }
    for (auto& th : threads) th.join();
  }
  q->flush();
  for (int i = 0; i < k_stress_items; i++)
    EXPECT_EQ(items[static_cast<std::size_t>(i)].runs.load(), items[static_cast<std::size_t>(i)].trues.load())
        << "item " << i;
}

// R2/A2: queueing an item that is pending (not started) returns false; it runs once in all.
TEST(cxx_work, enqueue_of_pending_item_returns_false_and_it_runs_once) {
  blocked_queue b("cxxw-pending");
  std::atomic<int> runs{0};
  cmwq::work w{[&] { runs.fetch_add(1); }};
  EXPECT_TRUE(b.q->enqueue(w));
  EXPECT_TRUE(w.pending());
  EXPECT_FALSE(b.q->enqueue(w));
  EXPECT_FALSE(b.q->enqueue(w));
  b.release();
  b.q->flush();
  EXPECT_EQ(runs.load(), 1);
}

// R3/A3: PENDING is cleared before the function is called.
TEST(cxx_work, pending_is_false_inside_own_closure) {
  auto q = unbound_queue("cxxw-pendin");
  std::atomic<int> seen{-1};
  cmwq::work* self = nullptr;
  cmwq::work w{[&] { seen.store(self->pending() ? 1 : 0); }};
  self = &w;
  ASSERT_TRUE(q->enqueue(w));
  q->flush();
  EXPECT_EQ(seen.load(), 0);
}

// R3/A4: an enqueue while the function runs returns true and yields exactly one more run, which
// starts after the current one returned.
TEST(cxx_work, enqueue_while_running_gives_one_more_run_after_it) {
  auto q = unbound_queue("cxxw-rerun");
  gate g;
  gate_opener opener{g};
  span spans[3];
  std::atomic<int> runs{0};
  cmwq::work w{[&] {
    const int n = runs.fetch_add(1);
    if (n < 3) spans[n].begin();
    if (n == 0) g.wait();
    if (n < 3) spans[n].finish();
  }};
  ASSERT_TRUE(q->enqueue(w));
  CMWQ_ASSERT_WITHIN(spans[0].started(), k_deadline);
  EXPECT_TRUE(q->enqueue(w));
  EXPECT_FALSE(q->enqueue(w));
  g.open();
  CMWQ_ASSERT_WITHIN(runs.load() == 2 && spans[1].finished(), k_deadline);
  q->flush();
  EXPECT_EQ(runs.load(), 2);
  EXPECT_GE(spans[1].start.load(), spans[0].end.load());
}

// R4: queueing a disabled item returns false and the request is lost, even after enable().
TEST(cxx_work, disabled_item_refuses_every_enqueue_and_enable_does_not_replay) {
  CMWQ_REQUIRE_CPUS(1);
  auto q = unbound_queue("cxxw-disabled");
  std::atomic<int> runs{0}, druns{0};
  cmwq::work w{[&] { runs.fetch_add(1); }};
  cmwq::delayed_work d{[&] { druns.fetch_add(1); }};
  EXPECT_FALSE(w.disable());
  EXPECT_FALSE(d.disable());
  EXPECT_FALSE(q->enqueue(w));
  EXPECT_FALSE(q->enqueue_on(cpu_a(), w));
  EXPECT_FALSE(q->enqueue_delayed(d, 0ms));
  EXPECT_FALSE(q->enqueue_delayed(d, 10ms));
  EXPECT_FALSE(q->modify_delayed(d, 0ms));
  EXPECT_FALSE(q->modify_delayed(d, 10ms));
  EXPECT_FALSE(w.pending());
  EXPECT_FALSE(d.pending());
  std::this_thread::sleep_for(50ms);
  q->flush();
  EXPECT_TRUE(w.enable());
  EXPECT_TRUE(d.enable());
  q->flush();
  EXPECT_EQ(runs.load(), 0);
  EXPECT_EQ(druns.load(), 0);
  EXPECT_TRUE(q->enqueue(w));
  q->flush();
  EXPECT_EQ(runs.load(), 1);
}

// Memory ordering (queue.hpp): writes before an enqueue() that returned true are visible to the
// run (TSan checks the happens-before edge), and the run's writes are visible after flush().
TEST(cxx_work, writes_before_enqueue_are_visible_in_the_run) {
  auto q = unbound_queue("cxxw-hb");
  int payload = 0;   // deliberately not atomic
  int observed = 0;  // deliberately not atomic
  cmwq::work w{[&] { observed = payload; }};
  for (int i = 1; i <= k_handoffs; i++) {
    payload = i;
    ASSERT_TRUE(q->enqueue(w));
    q->flush();  // (w.flush() may find the run already over, which is not a failure)
    ASSERT_EQ(observed, i);
  }
}

// --- R5, R6: non-reentrancy -------------------------------------------------------------------

// R5/A5: queued to another CPU while running, the item goes to the pool (and worker) that runs
// it, and the second run never overlaps the first.
TEST(cxx_work, requeue_to_other_cpu_while_running_waits_for_the_running_instance) {
  CMWQ_REQUIRE_CPUS(2);
  auto q = cmwq::builder::percpu().build("cxxw-xcpu");
  ASSERT_TRUE(q);
  gate g;
  gate_opener opener{g};
  span spans[2];
  std::atomic<pid_t> tids[2] = {0, 0};
  std::atomic<int> runs{0};
  cmwq::work w{[&] {
    const int n = runs.fetch_add(1);
    if (n >= 2) return;
    spans[n].begin();
    tids[n].store(gettid_());
    if (n == 0) g.wait();
    spans[n].finish();
  }};
  {
    cpu_pin pin(cpu_a());
    ASSERT_TRUE(pin.ok());
    ASSERT_TRUE(q->enqueue(w));
  }
  CMWQ_ASSERT_WITHIN(spans[0].started(), k_deadline);
  EXPECT_TRUE(q->enqueue_on(cpu_b(), w));
  std::this_thread::sleep_for(20ms);
  EXPECT_FALSE(spans[1].started()) << "second run started while the first still runs";
  g.open();
  CMWQ_ASSERT_WITHIN(spans[1].finished(), k_deadline);
  q->flush();
  EXPECT_EQ(runs.load(), 2);
  EXPECT_GE(spans[1].start.load(), spans[0].end.load());
  EXPECT_EQ(tids[1].load(), tids[0].load()) << "R5: the worker running the item runs it next";
}

// R5: under contention from two CPUs, a single item never runs on two workers at once.
TEST(cxx_work, same_item_never_runs_on_two_workers_at_once) {
  CMWQ_REQUIRE_CPUS(2);
  auto q = cmwq::builder::unbound().max_active(8).build("cxxw-nonreent");
  ASSERT_TRUE(q);
  meter m;
  std::atomic<int> runs{0}, trues{0};
  cmwq::work w{[&] {
    meter_scope in(m);
    runs.fetch_add(1);
    burn_cpu_ms(0.05);
  }};
  {
    std::vector<std::thread> threads;
    for (int t = 0; t < 2; t++) {
      threads.emplace_back([&, t] {
        cpu_pin pin(startup_cpus()[static_cast<std::size_t>(t)]);
        for (int i = 0; i < k_stress_attempts; i++) {
          if (q->enqueue(w)) trues.fetch_add(1);
          if (i % 8 == 0) std::this_thread::yield();
        }
      });
    }
    for (auto& th : threads) th.join();
  }
  q->flush();
  EXPECT_EQ(m.max(), 1);
  EXPECT_EQ(runs.load(), trues.load());
}

// R6/A6: an item that re-queues itself N times runs N+1 times, never overlapping itself.
TEST(cxx_work, self_requeue_runs_n_plus_one_times_without_overlap) {
  auto q = cmwq::builder::unbound().max_active(8).build("cxxw-selfq");
  ASSERT_TRUE(q);
  meter m;
  std::atomic<int> runs{0}, refused{0};
  cmwq::work* self = nullptr;
  const cmwq::queue qref = q.ref();
  cmwq::work w{[&] {
    meter_scope in(m);
    if (runs.fetch_add(1) < k_requeues && !qref.enqueue(*self)) refused.fetch_add(1);
    burn_cpu_ms(0.2);
  }};
  self = &w;
  ASSERT_TRUE(q->enqueue(w));
  CMWQ_ASSERT_WITHIN(runs.load() == k_requeues + 1 && !w.pending() && !w.running(), k_deadline);
  q->flush();
  EXPECT_EQ(runs.load(), k_requeues + 1);
  EXPECT_EQ(refused.load(), 0);
  EXPECT_EQ(m.max(), 1);
}

// --- R43, R44: context of execution ------------------------------------------------------------

// R43: items run in a worker thread with every signal blocked.
TEST(cxx_work, items_run_with_all_signals_blocked) {
  auto q = unbound_queue("cxxw-signals");
  std::atomic<int> unblocked{-1};
  cmwq::work w{[&] {
    sigset_t cur;
    sigemptyset(&cur);
    pthread_sigmask(SIG_BLOCK, nullptr, &cur);
    int n = 0;
    for (int sig : {SIGINT, SIGTERM, SIGUSR1, SIGUSR2, SIGALRM, SIGCHLD, SIGHUP})
      if (!sigismember(&cur, sig)) n++;
    unblocked.store(n);
  }};
  ASSERT_TRUE(q->enqueue(w));
  q->flush();
  EXPECT_EQ(unblocked.load(), 0);
}

// R44: enqueue_on(cpu) on a per-CPU queue runs the item on that CPU, whoever queues it.
TEST(cxx_work, enqueue_on_runs_the_item_on_the_named_cpu) {
  CMWQ_REQUIRE_CPUS(2);
  auto q = cmwq::builder::percpu().build("cxxw-on");
  ASSERT_TRUE(q);
  std::atomic<int> cpu{-1};
  cmwq::work w{[&] { cpu.store(sched_getcpu()); }};
  cpu_pin pin(cpu_a());
  for (int target : {cpu_b(), cpu_a()}) {
    ASSERT_TRUE(q->enqueue_on(target, w));
    q->flush();
    EXPECT_EQ(cpu.load(), target);
  }
}

// --- R42: queries ------------------------------------------------------------------------------

// R42/A58: pending() and running() report idle, pending, running and running+pending.
TEST(cxx_work, pending_and_running_report_each_state) {
  auto q = unbound_queue("cxxw-busy");
  gate g;
  gate_opener opener{g};
  span first;
  std::atomic<int> runs{0};
  cmwq::work w{[&] {
    if (runs.fetch_add(1) == 0) {
      first.begin();
      g.wait();
    }
  }};
  EXPECT_FALSE(w.pending());  // idle
  EXPECT_FALSE(w.running());
  ASSERT_TRUE(q->enqueue(w));
  CMWQ_ASSERT_WITHIN(first.started(), k_deadline);
  EXPECT_FALSE(w.pending());  // running
  EXPECT_TRUE(w.running());
  ASSERT_TRUE(q->enqueue(w));
  EXPECT_TRUE(w.pending());  // running + pending
  EXPECT_TRUE(w.running());
  g.open();
  q->flush();
  EXPECT_FALSE(w.pending());  // idle again
  EXPECT_FALSE(w.running());
}

// A59: inside its closure current_work() is the item; elsewhere it is nullptr.
TEST(cxx_work, current_work_names_the_running_item) {
  auto q = unbound_queue("cxxw-current");
  std::atomic<const void*> seen{nullptr};
  cmwq::work* self = nullptr;
  cmwq::work w{[&] { seen.store(cmwq::current_work()); }};
  self = &w;
  EXPECT_EQ(cmwq::current_work(), nullptr);
  ASSERT_TRUE(q->enqueue(w));
  q->flush();
  EXPECT_EQ(seen.load(), static_cast<const void*>(self->raw()));
}

// --- R35-R37: delayed work ----------------------------------------------------------------------

// R36/A11: a zero delay queues at once, never through a timer: behind a blocked ordered queue the
// item is already on the queue (inactive) when the call returns.
TEST(cxx_delayed, zero_delay_queues_immediately_without_a_timer) {
  blocked_queue b("cxxd-zero");
  std::atomic<int> runs{0};
  cmwq::delayed_work d1{[&] { runs.fetch_add(1); }};
  cmwq::delayed_work d2{[&] { runs.fetch_add(1); }};
  cmwq::queue_stats st{};
  ASSERT_TRUE(b.q->enqueue_delayed(d1, 0ms));
  ASSERT_TRUE(b.q->stats(&st));
  EXPECT_EQ(st.nr_inactive, 1) << "enqueue_delayed(0) went through a timer";
  EXPECT_FALSE(b.q->modify_delayed(d2, 0ms));
  ASSERT_TRUE(b.q->stats(&st));
  EXPECT_EQ(st.nr_inactive, 2) << "modify_delayed(0) went through a timer";
  b.release();
  b.q->flush();
  EXPECT_EQ(runs.load(), 2);
}

// A12: a delayed item never starts before its delay.
TEST(cxx_delayed, runs_no_earlier_than_its_delay) {
  auto q = unbound_queue("cxxd-early");
  constexpr auto delay = 50ms;
  span s;
  cmwq::delayed_work d{[&] { s.begin(); }};
  const std::int64_t t0 = now_ns();
  ASSERT_TRUE(q->enqueue_delayed(d, delay));
  EXPECT_TRUE(d.pending());
  CMWQ_ASSERT_WITHIN(s.started(), k_deadline);
  // Jiffies are whole milliseconds: allow the last one to be partial.
  EXPECT_GE(s.start.load() - t0, std::chrono::nanoseconds(delay - 1ms).count());
}

// A13: enqueue_delayed() on an armed item returns false and leaves its deadline unchanged.
TEST(cxx_delayed, enqueue_on_armed_item_keeps_its_deadline) {
  auto q = unbound_queue("cxxd-keep");
  constexpr auto delay = 300ms;
  span s;
  std::atomic<int> runs{0};
  cmwq::delayed_work d{[&] {
    runs.fetch_add(1);
    s.begin();
  }};
  const std::int64_t t0 = now_ns();
  ASSERT_TRUE(q->enqueue_delayed(d, delay));
  EXPECT_FALSE(q->enqueue_delayed(d, 10ms));
  CMWQ_ASSERT_WITHIN(s.started(), k_deadline);
  EXPECT_GE(s.start.load() - t0, std::chrono::nanoseconds(delay - 1ms).count());
  q->flush();
  EXPECT_EQ(runs.load(), 1);
}

// R35/A14: modify_delayed() on an idle item returns false and arms it.
TEST(cxx_delayed, modify_on_idle_item_returns_false_and_arms_it) {
  auto q = unbound_queue("cxxd-modidle");
  constexpr auto delay = 20ms;
  span s;
  cmwq::delayed_work d{[&] { s.begin(); }};
  const std::int64_t t0 = now_ns();
  EXPECT_FALSE(q->modify_delayed(d, delay));
  EXPECT_TRUE(d.pending());
  CMWQ_ASSERT_WITHIN(s.started(), k_deadline);
  EXPECT_GE(s.start.load() - t0, std::chrono::nanoseconds(delay - 1ms).count());
}

// R35/A15: modify_delayed() on an armed item returns true and replaces the deadline: one run,
// early, and no second run at the old deadline.
TEST(cxx_delayed, modify_rearms_an_armed_item) {
  auto q = unbound_queue("cxxd-modarm");
  constexpr auto far = 10s;
  std::atomic<int> runs{0};
  span s;
  cmwq::delayed_work d{[&] {
    runs.fetch_add(1);
    s.begin();
  }};
  const std::int64_t t0 = now_ns();
  ASSERT_TRUE(q->enqueue_delayed(d, far));
  EXPECT_TRUE(q->modify_delayed(d, 20ms));
  CMWQ_ASSERT_WITHIN(s.started(), far / 2);
  EXPECT_LT(s.start.load() - t0, std::chrono::nanoseconds(far / 2).count());
  q->flush();
  EXPECT_FALSE(d.pending()) << "the old timer is still armed";
  EXPECT_EQ(runs.load(), 1);
}

// A16: modify_delayed(0) on an armed item runs it now.
TEST(cxx_delayed, modify_to_zero_runs_an_armed_item_now) {
  auto q = unbound_queue("cxxd-modzero");
  constexpr auto far = 10s;
  std::atomic<int> runs{0};
  cmwq::delayed_work d{[&] { runs.fetch_add(1); }};
  ASSERT_TRUE(q->enqueue_delayed(d, far));
  EXPECT_TRUE(q->modify_delayed(d, 0ms));
  CMWQ_ASSERT_WITHIN(runs.load() == 1, far / 2);
  EXPECT_FALSE(d.pending());
}

// A17: an armed item is pending.
TEST(cxx_delayed, armed_item_is_pending) {
  auto q = unbound_queue("cxxd-armed");
  cmwq::delayed_work d{[] {}};
  EXPECT_FALSE(d.pending());
  ASSERT_TRUE(q->enqueue_delayed(d, 10s));
  EXPECT_TRUE(d.pending());
  EXPECT_TRUE(d.cancel());
}

// R26/A18: cancel() of an armed item returns true; it never runs.
TEST(cxx_delayed, cancel_of_armed_item_returns_true_and_it_never_runs) {
  auto q = unbound_queue("cxxd-cancel");
  constexpr auto delay = 50ms;
  std::atomic<int> runs{0};
  cmwq::delayed_work d{[&] { runs.fetch_add(1); }};
  ASSERT_TRUE(q->enqueue_delayed(d, delay));
  EXPECT_TRUE(d.cancel());
  EXPECT_FALSE(d.pending());
  std::this_thread::sleep_for(delay * 3);
  q->flush();
  EXPECT_EQ(runs.load(), 0);
}

// A19: cancel() of an idle delayed item returns false.
TEST(cxx_delayed, cancel_of_idle_item_returns_false) {
  cmwq::delayed_work d{[] {}};
  EXPECT_FALSE(d.cancel());
}

// R26/A20: cancel() does not wait for a running instance.
TEST(cxx_delayed, cancel_does_not_wait_for_running_instance) {
  auto q = unbound_queue("cxxd-cnowait");
  gate g;
  gate_opener opener{g};
  span s;
  cmwq::delayed_work d{[&] {
    s.begin();
    g.wait();
    s.finish();
  }};
  ASSERT_TRUE(q->enqueue_delayed(d, 0ms));
  CMWQ_ASSERT_WITHIN(s.started(), k_deadline);
  EXPECT_FALSE(d.cancel());
  EXPECT_FALSE(s.finished()) << "cancel() waited for the running instance";
  g.open();  // before d's destructor waits for the run
}

// R17/A21: flush() fires an armed timer now and waits for that run.
TEST(cxx_delayed, flush_fires_armed_timer_and_waits_for_the_run) {
  auto q = unbound_queue("cxxd-flush");
  constexpr auto far = 10s;
  std::atomic<int> runs{0};
  cmwq::delayed_work d{[&] { runs.fetch_add(1); }};
  ASSERT_TRUE(q->enqueue_delayed(d, far));
  const auto t0 = steady::now();
  EXPECT_TRUE(d.flush());
  EXPECT_EQ(runs.load(), 1);
  EXPECT_LT(steady::now() - t0, far / 2);
  EXPECT_FALSE(d.pending());
}

// A22: flush() of an idle delayed item returns false.
TEST(cxx_delayed, flush_of_idle_item_returns_false) {
  cmwq::delayed_work d{[] {}};
  EXPECT_FALSE(d.flush());
}

// R27/A48: cancel_sync() of an armed item returns true; nothing is armed, queued or running.
TEST(cxx_delayed, cancel_sync_of_armed_item_leaves_nothing_behind) {
  auto q = unbound_queue("cxxd-csync");
  constexpr auto delay = 30ms;
  std::atomic<int> runs{0};
  cmwq::delayed_work d{[&] { runs.fetch_add(1); }};
  ASSERT_TRUE(q->enqueue_delayed(d, delay));
  EXPECT_TRUE(d.cancel_sync());
  EXPECT_FALSE(d.pending());
  std::this_thread::sleep_for(delay * 3);
  q->flush();
  EXPECT_EQ(runs.load(), 0);
}

// R39/A55: disable() of an armed item returns true; it never fires and modify_delayed() cannot
// queue it until enable().
TEST(cxx_delayed, disable_of_armed_item_blocks_modify) {
  auto q = unbound_queue("cxxd-disable");
  constexpr auto delay = 30ms;
  std::atomic<int> runs{0};
  cmwq::delayed_work d{[&] { runs.fetch_add(1); }};
  ASSERT_TRUE(q->enqueue_delayed(d, delay));
  EXPECT_TRUE(d.disable());
  EXPECT_FALSE(d.pending());
  EXPECT_FALSE(q->modify_delayed(d, 0ms));
  EXPECT_FALSE(d.pending());
  std::this_thread::sleep_for(delay * 3);
  q->flush();
  EXPECT_EQ(runs.load(), 0);
  EXPECT_TRUE(d.enable());
  EXPECT_FALSE(q->modify_delayed(d, 0ms));
  q->flush();
  EXPECT_EQ(runs.load(), 1);
}

// delayed_work's destructor deletes an armed timer: nothing fires into freed memory (ASan).
TEST(cxx_delayed, destructor_of_armed_item_deletes_its_timer) {
  auto q = unbound_queue("cxxd-dtor");
  constexpr auto delay = 30ms;
  auto runs = std::make_shared<std::atomic<int>>(0);
  auto d = std::make_unique<cmwq::delayed_work>([runs] { runs->fetch_add(1); });
  ASSERT_TRUE(q->enqueue_delayed(*d, delay));
  d.reset();
  std::this_thread::sleep_for(delay * 3);
  q->flush();
  EXPECT_EQ(runs->load(), 0);
}

// Issue 14: a pending delayed item is its 96 bytes, closure included: an inline closure sits in
// its timer's function word, a large one behind a pointer there. Both fire through the timer, run
// with their captures intact and are freed by the destructor (ASan, LSan).
TEST(cxx_delayed, closure_kept_in_the_item_runs_from_its_timer) {
  static_assert(sizeof(cmwq::delayed_work) <= 100);
  auto q = unbound_queue("cxxd-closure");
  std::atomic<int> small_runs{0};
  std::atomic<int>* counter = &small_runs;
  const std::string big_text(64, 'x');
  std::string seen;
  std::atomic<int> big_runs{0};
  cmwq::delayed_work small{[counter] { counter->fetch_add(1); }};  // inline: one pointer
  cmwq::delayed_work big{[big_text, &seen, &big_runs] {          // heap: a string and two refs
    seen = big_text;
    big_runs.fetch_add(1);
  }};
  ASSERT_TRUE(q->enqueue_delayed(small, 5ms));
  ASSERT_TRUE(q->enqueue_delayed(big, 5ms));
  EXPECT_TRUE(small.pending() && big.pending());
  ASSERT_TRUE(wait_until([&] { return small_runs.load() == 1 && big_runs.load() == 1; }));
  q->flush();
  EXPECT_EQ(seen, big_text);
  // Re-armed, cancelled and flushed, the closures stay usable.
  ASSERT_TRUE(q->enqueue_delayed(small, 10'000ms));
  EXPECT_TRUE(small.cancel());
  ASSERT_TRUE(q->enqueue_delayed(big, 10'000ms));
  EXPECT_TRUE(big.flush());
  EXPECT_EQ(big_runs.load(), 2);
  EXPECT_EQ(small_runs.load(), 1);
}

// --- R15-R16: flush -----------------------------------------------------------------------------

// R15/A24: flush() of an idle item returns false.
TEST(cxx_flush, flush_of_idle_item_returns_false) {
  cmwq::work w{[] {}};
  EXPECT_FALSE(w.flush());
  auto q = unbound_queue("cxxf-idle");
  ASSERT_TRUE(q->enqueue(w));
  q->flush();
  EXPECT_FALSE(w.flush());  // ran, idle again
}

// R15/A25: flush() of a pending item returns true, only after its function returned.
TEST(cxx_flush, flush_of_pending_item_returns_after_its_run) {
  blocked_queue b("cxxf-pending");
  span s;
  cmwq::work w{[&] {
    s.begin();
    s.finish();
  }};
  ASSERT_TRUE(b.q->enqueue(w));
  async_call f([&] { return w.flush(); });
  ASSERT_TRUE(f.blocked()) << dump_state();
  EXPECT_FALSE(f.done());
  b.release();
  EXPECT_TRUE(f.result());
  ASSERT_TRUE(s.finished());
  EXPECT_LE(s.end.load(), f.done_at());
}

// R16/A26: flush() called during a run returns once that run ended, even though the item
// re-queued itself (after the call started) and its next run has not finished.
TEST(cxx_flush, flush_waits_for_the_current_run_only) {
  auto q = unbound_queue("cxxf-current");
  gate g1, g2;
  gate_opener o1{g1}, o2{g2};
  span spans[2];
  std::atomic<int> runs{0};
  cmwq::work* self = nullptr;
  const cmwq::queue qref = q.ref();
  cmwq::work w{[&] {
    const int n = runs.fetch_add(1);
    if (n >= 2) return;
    spans[n].begin();
    if (n == 0) {
      g1.wait();  // flush() is called meanwhile; the re-queue below comes after it
      (void)qref.enqueue(*self);
    } else {
      g2.wait();
    }
    spans[n].finish();
  }};
  self = &w;
  ASSERT_TRUE(q->enqueue(w));
  CMWQ_ASSERT_WITHIN(spans[0].started(), k_deadline);
  async_call f([&] { return w.flush(); });
  ASSERT_TRUE(f.blocked()) << dump_state();
  g1.open();
  CMWQ_ASSERT_WITHIN(f.done(), k_deadline / 2);  // g2 is still closed: run 2 cannot be done
  EXPECT_TRUE(f.result());
  EXPECT_TRUE(spans[0].finished());
  EXPECT_LE(spans[0].end.load(), f.done_at());
  EXPECT_FALSE(spans[1].finished());
  g2.open();
  q->flush();
  EXPECT_EQ(runs.load(), 2);
}

// --- R26-R29: cancel ----------------------------------------------------------------------------

// R26/A46: cancel() of a pending item returns true and the item never runs.
TEST(cxx_cancel, cancel_of_pending_item_returns_true_and_it_never_runs) {
  blocked_queue b("cxxc-pending");
  std::atomic<int> runs{0};
  cmwq::work w{[&] { runs.fetch_add(1); }};
  ASSERT_TRUE(b.q->enqueue(w));
  EXPECT_TRUE(w.cancel());
  EXPECT_FALSE(w.pending());
  EXPECT_FALSE(w.cancel());
  b.release();
  b.q->flush();
  EXPECT_EQ(runs.load(), 0);
}

// R26/A46: cancel() of a running item returns false without waiting.
TEST(cxx_cancel, cancel_does_not_wait_for_running_item) {
  auto q = unbound_queue("cxxc-nowait");
  gate g;
  gate_opener opener{g};
  span s;
  cmwq::work w{[&] {
    s.begin();
    g.wait();
    s.finish();
  }};
  ASSERT_TRUE(q->enqueue(w));
  CMWQ_ASSERT_WITHIN(s.started(), k_deadline);
  EXPECT_FALSE(w.cancel());
  EXPECT_FALSE(s.finished()) << "cancel() waited for the running instance";
  g.open();  // before w's destructor waits for the run
}

// R27/A40: cancel_sync() of a pending item returns true and the item never runs.
TEST(cxx_cancel, cancel_sync_of_pending_item_returns_true_and_it_never_runs) {
  blocked_queue b("cxxc-spending");
  std::atomic<int> runs{0};
  cmwq::work w{[&] { runs.fetch_add(1); }};
  ASSERT_TRUE(b.q->enqueue(w));
  EXPECT_TRUE(w.cancel_sync());
  EXPECT_FALSE(w.pending());
  b.release();
  b.q->flush();
  EXPECT_EQ(runs.load(), 0);
}

// A41: cancel_sync() of an idle item returns false.
TEST(cxx_cancel, cancel_sync_of_idle_item_returns_false) {
  cmwq::work w{[] {}};
  EXPECT_FALSE(w.cancel_sync());
}

// R27/A42: cancel_sync() of a running item returns false, only after the function returned.
TEST(cxx_cancel, cancel_sync_waits_for_running_item) {
  auto q = unbound_queue("cxxc-swait");
  gate g;
  gate_opener opener{g};
  span s;
  cmwq::work w{[&] {
    s.begin();
    g.wait();
    s.finish();
  }};
  ASSERT_TRUE(q->enqueue(w));
  CMWQ_ASSERT_WITHIN(s.started(), k_deadline);
  async_call c([&] { return w.cancel_sync(); });
  ASSERT_TRUE(c.blocked()) << dump_state();
  EXPECT_FALSE(c.done());
  g.open();
  EXPECT_FALSE(c.result());
  ASSERT_TRUE(s.finished());
  EXPECT_LE(s.end.load(), c.done_at());
  EXPECT_FALSE(w.running());
}

// R27/A43: cancel_sync() stops an item that always re-queues itself.
TEST(cxx_cancel, cancel_sync_stops_a_self_requeueing_item) {
  auto q = unbound_queue("cxxc-selfq");
  std::atomic<int> runs{0};
  cmwq::work* self = nullptr;
  const cmwq::queue qref = q.ref();
  cmwq::work w{[&] {
    runs.fetch_add(1);
    burn_cpu_ms(0.1);
    (void)qref.enqueue(*self);
  }};
  self = &w;
  ASSERT_TRUE(q->enqueue(w));
  CMWQ_ASSERT_WITHIN(runs.load() >= 3, k_deadline);
  w.cancel_sync();
  EXPECT_FALSE(w.pending());
  EXPECT_FALSE(w.running());
  const int after = runs.load();
  std::this_thread::sleep_for(30ms);
  q->flush();
  EXPECT_EQ(runs.load(), after);
}

// R27/A44: while cancel_sync() waits for a running item, enqueue() returns false and the request
// is lost.
TEST(cxx_cancel, enqueue_during_cancel_sync_is_refused) {
  auto q = unbound_queue("cxxc-refuse");
  gate g;
  gate_opener opener{g};
  span s;
  std::atomic<int> runs{0};
  cmwq::work w{[&] {
    if (runs.fetch_add(1) == 0) {
      s.begin();
      g.wait();
    }
  }};
  ASSERT_TRUE(q->enqueue(w));
  CMWQ_ASSERT_WITHIN(s.started(), k_deadline);
  async_call c([&] { return w.cancel_sync(); });
  ASSERT_TRUE(c.blocked()) << dump_state();
  EXPECT_FALSE(q->enqueue(w));
  g.open();
  EXPECT_FALSE(c.result());
  q->flush();
  EXPECT_EQ(runs.load(), 1);
}

// R27/A45: after cancel_sync() returned the item can be queued again (its disable was undone).
TEST(cxx_cancel, item_is_usable_after_cancel_sync) {
  blocked_queue b("cxxc-reuse");
  std::atomic<int> runs{0};
  cmwq::work w{[&] { runs.fetch_add(1); }};
  ASSERT_TRUE(b.q->enqueue(w));
  EXPECT_TRUE(w.cancel_sync());
  EXPECT_TRUE(b.q->enqueue(w));
  b.release();
  b.q->flush();
  EXPECT_EQ(runs.load(), 1);
}

// R28/A47: a disable made by the caller survives cancel_sync().
TEST(cxx_cancel, cancel_sync_keeps_a_callers_disable) {
  auto q = unbound_queue("cxxc-keepdis");
  std::atomic<int> runs{0};
  cmwq::work w{[&] { runs.fetch_add(1); }};
  EXPECT_FALSE(w.disable());
  EXPECT_FALSE(w.cancel_sync());
  EXPECT_FALSE(q->enqueue(w));
  EXPECT_TRUE(w.enable());
  EXPECT_TRUE(q->enqueue(w));
  q->flush();
  EXPECT_EQ(runs.load(), 1);
}

// --- R38-R40: disable / enable ------------------------------------------------------------------

// A49: disable() of an idle item returns false; enable() returns true and queueing works again.
TEST(cxx_disable, disable_then_enable_an_idle_item) {
  auto q = unbound_queue("cxxx-idle");
  std::atomic<int> runs{0};
  cmwq::work w{[&] { runs.fetch_add(1); }};
  EXPECT_FALSE(w.disable());
  EXPECT_FALSE(q->enqueue(w));
  EXPECT_TRUE(w.enable());
  EXPECT_TRUE(q->enqueue(w));
  q->flush();
  EXPECT_EQ(runs.load(), 1);
}

// R38/A50: disables are counted; each enable() undoes one.
TEST(cxx_disable, disable_is_counted) {
  auto q = unbound_queue("cxxx-count");
  cmwq::work w{[] {}};
  w.disable();
  w.disable();
  EXPECT_FALSE(w.enable());
  EXPECT_FALSE(q->enqueue(w));
  EXPECT_TRUE(w.enable());
  EXPECT_TRUE(q->enqueue(w));
  q->flush();
}

// R40/A51: disable() of a pending item returns true and the item never runs.
TEST(cxx_disable, disable_of_pending_item_returns_true_and_drops_it) {
  blocked_queue b("cxxx-pending");
  std::atomic<int> runs{0};
  cmwq::work w{[&] { runs.fetch_add(1); }};
  ASSERT_TRUE(b.q->enqueue(w));
  EXPECT_TRUE(w.disable());
  EXPECT_FALSE(w.pending());
  b.release();
  b.q->flush();
  EXPECT_EQ(runs.load(), 0);
  EXPECT_TRUE(w.enable());
}

// A52: disable_sync() of a running item returns after the function returned; the item stays
// disabled.
TEST(cxx_disable, disable_sync_waits_for_running_item_and_keeps_it_disabled) {
  auto q = unbound_queue("cxxx-sync");
  gate g;
  gate_opener opener{g};
  span s;
  std::atomic<int> runs{0};
  cmwq::work w{[&] {
    runs.fetch_add(1);
    s.begin();
    g.wait();
    s.finish();
  }};
  ASSERT_TRUE(q->enqueue(w));
  CMWQ_ASSERT_WITHIN(s.started(), k_deadline);
  async_call c([&] { return w.disable_sync(); });
  ASSERT_TRUE(c.blocked()) << dump_state();
  g.open();
  EXPECT_FALSE(c.result());
  ASSERT_TRUE(s.finished());
  EXPECT_LE(s.end.load(), c.done_at());
  EXPECT_FALSE(q->enqueue(w));
  EXPECT_TRUE(w.enable());
  EXPECT_EQ(runs.load(), 1);
}

// R38/A56: enable() at count zero warns "underflowed" and returns true. The warning is
// WARN_ONCE (per process), so only the first run of this test in a process can see the line.
TEST(cxx_disable, enable_at_zero_warns_underflow_and_returns_true) {
  static bool first_in_process = true;
  log_capture log;
  const unsigned long warns = cmwq::warn_count();
  cmwq::work w{[] {}};
  EXPECT_TRUE(w.enable());
  if (first_in_process) {
    EXPECT_TRUE(log.contains("workqueue: work disable count underflowed")) << log.joined();
    EXPECT_GT(cmwq::warn_count(), warns);
  }
  first_in_process = false;
  auto q = unbound_queue("cxxx-under");
  EXPECT_TRUE(q->enqueue(w));  // still enabled
  q->flush();
}

// R38/A57: the count saturates at 65535 with an "overflowed" warning (WARN_ONCE, as above);
// 65535 enables then bring it back to zero.
TEST(cxx_disable, disable_count_saturates_with_overflow_warning) {
  static bool first_in_process = true;
  log_capture log;
  cmwq::work w{[] {}};
  for (int i = 0; i < k_disable_max; i++) w.disable();
  EXPECT_FALSE(log.contains("workqueue: work disable count overflowed"));
  w.disable();  // one too many
  if (first_in_process) {
    EXPECT_TRUE(log.contains("workqueue: work disable count overflowed")) << log.joined();
  }
  first_in_process = false;
  for (int i = 0; i < k_disable_max - 1; i++) ASSERT_FALSE(w.enable()) << "enable #" << i;
  EXPECT_TRUE(w.enable());
  auto q = unbound_queue("cxxx-over");
  EXPECT_TRUE(q->enqueue(w));
  q->flush();
}

// --- the item destructor (work.hpp) ---------------------------------------------------------

// Destroying a pending item cancels it: it never runs.
TEST(cxx_work, destroying_a_pending_item_cancels_it) {
  blocked_queue b("cxxw-dtorpend");
  auto runs = std::make_shared<std::atomic<int>>(0);
  auto w = std::make_unique<cmwq::work>([runs] { runs->fetch_add(1); });
  ASSERT_TRUE(b.q->enqueue(*w));
  w.reset();
  b.release();
  b.q->flush();
  EXPECT_EQ(runs->load(), 0);
}

// Destroying a running item waits until its function returned.
TEST(cxx_work, destroying_a_running_item_waits_for_it) {
  auto q = unbound_queue("cxxw-dtorrun");
  gate g;
  gate_opener opener{g};
  span s;
  auto w = std::make_unique<cmwq::work>([&] {
    s.begin();
    g.wait();
    s.finish();
  });
  ASSERT_TRUE(q->enqueue(*w));
  CMWQ_ASSERT_WITHIN(s.started(), k_deadline);
  async_call d([&] {
    w.reset();
    return true;
  });
  ASSERT_TRUE(d.blocked()) << dump_state();
  g.open();
  d.join();
  ASSERT_TRUE(s.finished());
  EXPECT_LE(s.end.load(), d.done_at());
}

// work.hpp: destroying an item from inside its own closure does not wait for itself (which would
// deadlock).
TEST(cxx_work, destroying_an_item_from_its_own_closure_does_not_deadlock) {
  auto q = unbound_queue("cxxw-dtorself");
  std::atomic<bool> done{false};
  struct holder {
    std::unique_ptr<cmwq::work> w;
  };
  auto* h = new holder;
  h->w = std::make_unique<cmwq::work>([h, &done] {
    std::atomic<bool>& flag = done;
    delete h;  // destroys the item (and this closure); touch nothing captured afterwards
    flag.store(true);
  });
  ASSERT_TRUE(q->enqueue(*h->w));
  CMWQ_ASSERT_WITHIN(done.load(), k_deadline);
  q->flush();
}

// work.hpp: "destroying it from inside its own closure warns instead of waiting for itself".
TEST(cxx_work, destroying_an_item_from_its_own_closure_warns) {
  auto q = unbound_queue("cxxw-dtorwarn");
  log_capture log;
  const unsigned long warns = cmwq::warn_count();
  std::atomic<bool> done{false};
  struct holder {
    std::unique_ptr<cmwq::work> w;
  };
  auto* h = new holder;
  h->w = std::make_unique<cmwq::work>([h, &done] {
    std::atomic<bool>& flag = done;
    delete h;
    flag.store(true);
  });
  ASSERT_TRUE(q->enqueue(*h->w));
  CMWQ_ASSERT_WITHIN(done.load(), k_deadline);
  q->flush();
  EXPECT_GT(cmwq::warn_count(), warns) << "work.hpp promises a warning; log:\n" << log.joined();
}

}  // namespace
