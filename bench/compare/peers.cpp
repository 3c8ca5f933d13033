// bench/compare/peers.cpp - the peers as executors (W1-W4) and as timer services (W5).
//
// Problem: a fair comparison drives each library the way its documentation recommends, through
// its own thread-safe door, with no extra allocation or locking of ours where the peer needs
// none. Approach: one small adapter per peer, each commented with the door it uses: oneTBB
// (task_arena::enqueue), Boost.Asio (thread_pool + post; io_context + steady_timer), GLib
// (GThreadPool; g_timeout sources on a GMainLoop thread), libuv (uv_queue_work and uv_timer on a
// loop thread, reached through uv_async_send), a plain mutex+condvar pool written here (plus a
// std::multimap timer thread), thread-per-task, and cmwq through both front doors.
#include <glib.h>
#include <uv.h>

#include <atomic>
#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/thread_pool.hpp>
#include <chrono>
#include <cmwq/cmwq.hpp>
#include <condition_variable>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <deque>
#include <map>
#include <mutex>
#include <thread>
#include <vector>

#define TBB_PREVIEW_GLOBAL_CONTROL 1
#include <tbb/global_control.h>
#include <tbb/task_arena.h>
#include <tbb/version.h>

#include "compare/compare.hpp"
#include "compare/peers.hpp"
#include "kc_ops.h"

namespace cmwq_bench {

namespace {

// ---- executors ------------------------------------------------------------------------------------

// cmwq: a heap closure per task through try_spawn (the C++ API's fire-and-forget door).
struct cmwq_exec final : executor {
  cmwq_exec(task_fn f, bool percpu)
      : executor(f),
        q((percpu ? cmwq::builder::percpu() : cmwq::builder::unbound()).build(percpu ? "bench_percpu" : "bench_unbound")) {
    if (!q) die("cmwq: cannot build the queue");
  }
  void submit(void* a) override {
    const task_fn f = fn;
    if (q->try_spawn([f, a] { f(a); })) die("cmwq: try_spawn failed");
  }
  cmwq::owned_queue q;
};

// oneTBB: an arena of g_ncpu slots, all of them for workers (the submitting thread never joins);
// global_control lifts TBB's default limit of ncpu - 1 workers so the arena really gets g_ncpu.
struct tbb_exec final : executor {
  explicit tbb_exec(task_fn f) : executor(f) { arena.initialize(); }
  void submit(void* a) override {
    const task_fn f = fn;
    arena.enqueue([f, a] { f(a); });
  }
  tbb::global_control gc{tbb::global_control::max_allowed_parallelism, static_cast<std::size_t>(g_ncpu + 1)};
  tbb::task_arena arena{g_ncpu, 0};
};

struct asio_exec final : executor {
  explicit asio_exec(task_fn f) : executor(f) {}
  void submit(void* a) override {
    const task_fn f = fn;
    boost::asio::post(pool, [f, a] { f(a); });
  }
  boost::asio::thread_pool pool{static_cast<std::size_t>(g_ncpu)};
};

// GLib: an exclusive GThreadPool; its function is fixed per pool, so the task's argument is pushed
// as the data pointer (no allocation on our side).
struct glib_exec final : executor {
  explicit glib_exec(task_fn f) : executor(f) {
    pool = g_thread_pool_new(&tramp, this, g_ncpu, TRUE, nullptr);
    if (!pool) die("glib: g_thread_pool_new failed");
  }
  static void tramp(gpointer data, gpointer self) { static_cast<glib_exec*>(self)->fn(data); }
  void submit(void* a) override { g_thread_pool_push(pool, a, nullptr); }
  GThreadPool* pool;
};

// libuv: uv_queue_work may only be called on the loop's thread, so producers hand tasks to the loop
// thread through a locked vector and uv_async_send (the documented cross-thread door); the loop
// thread queues them on libuv's thread pool (UV_THREADPOOL_SIZE = ncpu).
struct uv_exec final : executor {
  struct req {
    uv_work_t w;
    task_fn fn;
    void* arg;
  };
  explicit uv_exec(task_fn f) : executor(f) {
    char n[16];
    std::snprintf(n, sizeof n, "%d", g_ncpu);
    setenv("UV_THREADPOOL_SIZE", n, 1);
    uv_loop_init(&loop);
    async.data = this;
    uv_async_init(&loop, &async, &on_async);
    th = std::thread([this] { uv_run(&loop, UV_RUN_DEFAULT); });
  }
  static void on_async(uv_async_t* h) {
    auto* self = static_cast<uv_exec*>(h->data);
    std::vector<void*> batch;
    {
      std::lock_guard<std::mutex> g(self->m);
      batch.swap(self->pending);
    }
    for (void* a : batch) {
      auto* r = new req{{}, self->fn, a};
      uv_queue_work(&self->loop, &r->w, &work_cb, &after_cb);
    }
  }
  static void work_cb(uv_work_t* w) {
    auto* r = reinterpret_cast<req*>(w);
    r->fn(r->arg);
  }
  static void after_cb(uv_work_t* w, int) { delete reinterpret_cast<req*>(w); }
  void submit(void* a) override {
    {
      std::lock_guard<std::mutex> g(m);
      pending.push_back(a);
    }
    uv_async_send(&async);
  }
  uv_loop_t loop;
  uv_async_t async;
  std::mutex m;
  std::vector<void*> pending;
  std::thread th;
};

// The plain pool anyone would write: one mutex, one condition variable, a deque, ncpu threads.
struct mutex_pool final : executor {
  explicit mutex_pool(task_fn f, int nthreads = g_ncpu) : executor(f) {
    for (int i = 0; i < nthreads; i++) threads.emplace_back([this] { run(); });
  }
  void run() {
    std::unique_lock<std::mutex> l(m);
    for (;;) {
      cv.wait(l, [this] { return !q.empty(); });
      void* a = q.front();
      q.pop_front();
      l.unlock();
      fn(a);
      l.lock();
    }
  }
  void submit(void* a) override {
    {
      std::lock_guard<std::mutex> g(m);
      q.push_back(a);
    }
    cv.notify_one();
  }
  std::mutex m;
  std::condition_variable cv;
  std::deque<void*> q;
  std::vector<std::thread> threads;
};

struct thread_exec final : executor {
  explicit thread_exec(task_fn f) : executor(f) {}
  void submit(void* a) override {
    const task_fn f = fn;
    std::thread([f, a] { f(a); }).detach();
  }
};


}  // namespace

std::unique_ptr<executor> make_executor(const std::string& peer, task_fn f) {
  if (peer == "cmwq.unbound") return std::make_unique<cmwq_exec>(f, false);
  if (peer == "cmwq.percpu") return std::make_unique<cmwq_exec>(f, true);
  if (peer == "tbb") return std::make_unique<tbb_exec>(f);
  if (peer == "asio") return std::make_unique<asio_exec>(f);
  if (peer == "glib") return std::make_unique<glib_exec>(f);
  if (peer == "libuv") return std::make_unique<uv_exec>(f);
  if (peer == "mutex_pool") return std::make_unique<mutex_pool>(f);
  if (peer == "thread") return std::make_unique<thread_exec>(f);
  die("unknown peer %s", peer.c_str());
}

namespace {

// ---- timer services -------------------------------------------------------------------------------

struct cmwq_cxx_timers final : timer_peer {
  struct item {
    explicit item(int i) : dw([i] { bench_w5_fired(i); }) {}
    cmwq::delayed_work dw;
  };
  void prepare(int n) override {
    items = static_cast<item*>(::operator new(sizeof(item) * static_cast<std::size_t>(n)));
    for (int i = 0; i < n; i++) new (&items[i]) item(i);
  }
  bool arm(int i, unsigned ms) override { return q->enqueue_delayed(items[i].dw, std::chrono::milliseconds(ms)); }
  bool cancel(int i) override { return items[i].dw.cancel(); }
  double object_bytes() override { return sizeof(item); }
  cmwq::owned_queue q = cmwq::builder::percpu().build("w5");
  item* items = nullptr;
};

struct cmwq_c_timers final : timer_peer {
  cmwq_c_timers() {
    if (!kc_w5_init()) die("kc_w5_init failed");
  }
  void prepare(int n) override {
    if (!kc_w5_prepare(n)) die("kc_w5_prepare failed");
  }
  bool arm(int i, unsigned ms) override { return kc_w5_arm(i, ms); }
  bool cancel(int i) override { return kc_w5_cancel(i); }
  double object_bytes() override { return static_cast<double>(kc_sizeof_delayed_work()); }
};

// Boost.Asio: steady_timers on one io_context whose run() has its own thread. The producer arms
// and cancels from its thread: the timer queue is under the reactor's mutex, and no timer object
// is used by two threads at once (the io thread only runs the handler).
struct asio_timers final : timer_peer {
  asio_timers() : guard(boost::asio::make_work_guard(ioc)) {
    th = std::thread([this] { ioc.run(); });
  }
  void prepare(int n) override {
    t = static_cast<boost::asio::steady_timer*>(::operator new(sizeof(boost::asio::steady_timer) * static_cast<std::size_t>(n)));
    for (int i = 0; i < n; i++) new (&t[i]) boost::asio::steady_timer(ioc);
  }
  bool arm(int i, unsigned ms) override {
    t[i].expires_after(std::chrono::milliseconds(ms));
    t[i].async_wait([i](const boost::system::error_code& ec) {
      if (!ec) bench_w5_fired(i);
    });
    return true;
  }
  bool cancel(int i) override { return t[i].cancel() > 0; }
  double object_bytes() override { return sizeof(boost::asio::steady_timer); }
  boost::asio::io_context ioc;
  boost::asio::executor_work_guard<boost::asio::io_context::executor_type> guard;
  boost::asio::steady_timer* t = nullptr;
  std::thread th;
};

// libuv: uv_timer_* are loop-thread-only, so arming and cancelling run inside the loop thread
// (in_context). The loop caches its clock; note_clock() refreshes it wherever the harness reads
// the clock for a deadline (uv_update_time), so lateness is measured against the same instant.
struct uv_timers final : timer_peer {
  uv_timers() {
    uv_loop_init(&loop);
    async.data = this;
    uv_async_init(&loop, &async, [](uv_async_t* h) {
      auto* self = static_cast<uv_timers*>(h->data);
      (*self->job)();
      self->job_done.store(1, std::memory_order_release);
      self->job_done.notify_all();
    });
    th = std::thread([this] { uv_run(&loop, UV_RUN_DEFAULT); });
  }
  void in_context(const std::function<void()>& f) override {
    job = &f;
    job_done.store(0);
    uv_async_send(&async);
    while (job_done.load(std::memory_order_acquire) == 0) job_done.wait(0);
  }
  void prepare(int n) override {
    t = static_cast<uv_timer_t*>(::operator new(sizeof(uv_timer_t) * static_cast<std::size_t>(n)));
    for (int i = 0; i < n; i++) {
      uv_timer_init(&loop, &t[i]);
      t[i].data = reinterpret_cast<void*>(static_cast<std::intptr_t>(i));
    }
  }
  bool arm(int i, unsigned ms) override {
    return uv_timer_start(&t[i], [](uv_timer_t* h) { bench_w5_fired(static_cast<int>(reinterpret_cast<std::intptr_t>(h->data))); },
                          ms, 0) == 0;
  }
  bool cancel(int i) override {
    const bool active = uv_is_active(reinterpret_cast<uv_handle_t*>(&t[i])) != 0;
    uv_timer_stop(&t[i]);
    return active;
  }
  void note_clock() override { uv_update_time(&loop); }
  double object_bytes() override { return sizeof(uv_timer_t); }
  uv_loop_t loop;
  uv_async_t async;
  const std::function<void()>* job = nullptr;
  std::atomic<int> job_done{0};
  uv_timer_t* t = nullptr;
  std::thread th;
};

// GLib: the parts of g_timeout_add() (g_timeout_source_new + g_source_attach on the default
// context, run by a GMainLoop thread), keeping the GSource so that cancel is g_source_destroy
// (g_source_remove by id warns when the source has already fired).
struct glib_timers final : timer_peer {
  glib_timers() {
    ctx = g_main_context_default();
    loop = g_main_loop_new(ctx, FALSE);
    th = std::thread([this] { g_main_loop_run(loop); });
  }
  static gboolean on_fire(gpointer data) {
    bench_w5_fired(GPOINTER_TO_INT(data));
    return G_SOURCE_REMOVE;
  }
  void prepare(int n) override { src.assign(static_cast<std::size_t>(n), nullptr); }
  bool arm(int i, unsigned ms) override {
    GSource* s = g_timeout_source_new(ms);
    g_source_set_callback(s, &on_fire, GINT_TO_POINTER(i), nullptr);
    g_source_attach(s, ctx);
    src[static_cast<std::size_t>(i)] = s;
    return true;
  }
  bool cancel(int i) override {
    GSource* s = src[static_cast<std::size_t>(i)];
    if (g_source_is_destroyed(s)) return false;
    g_source_destroy(s);
    return true;
  }
  double object_bytes() override { return sizeof(GSource) + sizeof(GSource*); }  // + GTimeoutSource's own fields
  GMainContext* ctx;
  GMainLoop* loop;
  std::vector<GSource*> src;
  std::thread th;
};

// The plain way: a std::multimap of deadlines under a mutex, a timer thread that sleeps on a
// condition variable until the first deadline and hands due timers to the mutex pool.
struct mutex_timers final : timer_peer {
  using map_t = std::multimap<std::uint64_t, int>;
  struct entry {
    map_t::iterator it;
    bool armed = false;
  };
  static void fire_task(void* p) { bench_w5_fired(static_cast<int>(reinterpret_cast<std::intptr_t>(p)) - 1); }
  mutex_timers() : pool(&fire_task) {
    th = std::thread([this] { run(); });
  }
  void run() {
    std::unique_lock<std::mutex> l(m);
    for (;;) {
      if (map.empty()) {
        cv.wait(l);
        continue;
      }
      const std::uint64_t first = map.begin()->first;
      const std::uint64_t now = now_ns();
      if (first > now) {
        cv.wait_for(l, std::chrono::nanoseconds(first - now));
        continue;
      }
      const int i = map.begin()->second;
      map.erase(map.begin());
      e[i].armed = false;
      pool.submit(reinterpret_cast<void*>(static_cast<std::intptr_t>(i) + 1));
    }
  }
  void prepare(int n) override {
    e = static_cast<entry*>(::operator new(sizeof(entry) * static_cast<std::size_t>(n)));
    for (int i = 0; i < n; i++) new (&e[i]) entry();
  }
  bool arm(int i, unsigned ms) override {
    const std::uint64_t d = now_ns() + ms * 1000000ull;
    bool first;
    {
      std::lock_guard<std::mutex> g(m);
      e[i].it = map.emplace(d, i);
      e[i].armed = true;
      first = e[i].it == map.begin();
    }
    if (first) cv.notify_one();
    return true;
  }
  bool cancel(int i) override {
    std::lock_guard<std::mutex> g(m);
    if (!e[i].armed) return false;
    map.erase(e[i].it);
    e[i].armed = false;
    return true;
  }
  double object_bytes() override { return sizeof(entry) + sizeof(std::_Rb_tree_node<map_t::value_type>); }
  mutex_pool pool;
  std::mutex m;
  std::condition_variable cv;
  map_t map;
  entry* e = nullptr;
  std::thread th;
};

}  // namespace

std::unique_ptr<timer_peer> make_timer_peer(const std::string& peer) {
  if (peer == "cmwq.cxx") return std::make_unique<cmwq_cxx_timers>();
  if (peer == "cmwq.c") return std::make_unique<cmwq_c_timers>();
  if (peer == "asio") return std::make_unique<asio_timers>();
  if (peer == "libuv") return std::make_unique<uv_timers>();
  if (peer == "glib") return std::make_unique<glib_timers>();
  if (peer == "mutex_pool") return std::make_unique<mutex_timers>();
  die("W5: unknown peer %s", peer.c_str());
}

}  // namespace cmwq_bench
