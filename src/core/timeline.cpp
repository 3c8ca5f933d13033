// src/core/timeline.cpp - the CMWQ_TRACE timeline (timeline.hpp, docs/observability.md).
//
// The problem: show, per thread, when items were queued and when and how long they ran, for a
// program that may run for hours, without a tracer attached and without slowing it down when
// nobody asked. The approach: while recording, each tracepoint appends a fixed-size record to a
// ring under one mutex (recording is a debugging mode: a short critical section per event is
// acceptable there, and it keeps the ring's order and memory simple); when the ring is full the
// oldest records are overwritten, so memory stays bounded however long the program runs. An item's
// execution becomes one complete event ("ph":"X": start and duration), queueing an instant event
// on the queueing thread. Names (functions, threads) are resolved only when the file is written.
// The file is written at exit (atexit), on SIGUSR2 (the handler only posts a semaphore, which is
// async-signal-safe; a writer thread does the work) and on request.
#include "timeline.hpp"

#include <pthread.h>
#include <semaphore.h>
#include <signal.h>
#include <time.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <map>
#include <mutex>
#include <string>
#include <vector>

#include "observe.hpp"
#include "pool_workqueue.hpp"
#include "warn.hpp"
#include "worker.hpp"
#include "workqueue.hpp"

namespace cmwq::core {

std::atomic<bool> g_timeline_on{false};

namespace {

constexpr std::size_t default_capacity = 65536;

enum class rec_kind : std::uint8_t { queue, execute };

struct record {
  std::uint64_t ts_ns;   // start (execute) or the instant (queue)
  std::uint64_t dur_ns;  // execute only
  const void* work;
  work_fn fn;
  const char* wq_name;   // queues are recycled, never freed: the pointer stays readable
  pid_t tid;
  rec_kind kind;
};

struct timeline_state {
  std::mutex lock;
  std::vector<record> ring;          // guarded by lock
  std::size_t next = 0;              // guarded by lock: slot of the next record
  std::uint64_t recorded = 0;        // guarded by lock: records ever appended
  std::map<pid_t, std::string> thread_names;  // guarded by lock
  std::string path;                  // guarded by lock
  sem_t write_request;               // posted by the SIGUSR2 handler
  bool writer_started = false;       // guarded by lock
};

timeline_state& state() {
  static auto* s = [] {
    auto* st = new timeline_state;  // never freed: workers may record during exit
    sem_init(&st->write_request, 0, 0);
    return st;
  }();
  return *s;
}

std::uint64_t now_ns() {
  timespec ts{};
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return static_cast<std::uint64_t>(ts.tv_sec) * 1000000000ull + static_cast<std::uint64_t>(ts.tv_nsec);
}

CMWQ_TLS thread_local pid_t t_tid = 0;
CMWQ_TLS thread_local std::uint64_t t_exec_start_ns = 0;
CMWQ_TLS thread_local const char* t_exec_wq = nullptr;

pid_t my_tid() {
  if (!t_tid) t_tid = static_cast<pid_t>(gettid());
  return t_tid;
}

void append(const record& r) {
  timeline_state& s = state();
  std::lock_guard<std::mutex> g(s.lock);
  if (s.ring.empty()) return;
  s.ring[s.next] = r;
  s.next = (s.next + 1) % s.ring.size();
  s.recorded++;
  if (!s.thread_names.count(r.tid)) {
    char name[64] = {};
    if (worker* wk = current_worker(); wk && wk->tid == r.tid) std::snprintf(name, sizeof name, "%s", wk->name);
    else pthread_getname_np(pthread_self(), name, sizeof name);
    s.thread_names[r.tid] = name;
  }
}

// JSON string body: quotes, backslashes and control characters escaped.
std::string json_escape(const char* in) {
  std::string out;
  for (const char* p = in; *p; p++) {
    const unsigned char c = static_cast<unsigned char>(*p);
    if (c == '"' || c == '\\') {
      out += '\\';
      out += static_cast<char>(c);
    } else if (c < 0x20) {
      char b[8];
      std::snprintf(b, sizeof b, "\\u%04x", c);
      out += b;
    } else {
      out += static_cast<char>(c);
    }
  }
  return out;
}

void write_event(std::FILE* f, const record& r, bool& first) {
  char fn[256];
  symbol_name(reinterpret_cast<const void*>(r.fn), fn, sizeof fn);
  const std::string name = json_escape(fn), wq = json_escape(r.wq_name ? r.wq_name : "");
  std::fprintf(f, "%s\n", first ? "" : ",");
  first = false;
  if (r.kind == rec_kind::execute)
    std::fprintf(f,
                 "{\"name\":\"%s\",\"cat\":\"execute\",\"ph\":\"X\",\"ts\":%.3f,\"dur\":%.3f,\"pid\":%d,\"tid\":%d,"
                 "\"args\":{\"work\":\"%p\",\"workqueue\":\"%s\"}}",
                 name.c_str(), static_cast<double>(r.ts_ns) / 1000.0, static_cast<double>(r.dur_ns) / 1000.0,
                 static_cast<int>(getpid()), static_cast<int>(r.tid), r.work, wq.c_str());
  else
    std::fprintf(f,
                 "{\"name\":\"queue %s\",\"cat\":\"queue\",\"ph\":\"i\",\"s\":\"t\",\"ts\":%.3f,\"pid\":%d,\"tid\":%d,"
                 "\"args\":{\"work\":\"%p\",\"workqueue\":\"%s\"}}",
                 name.c_str(), static_cast<double>(r.ts_ns) / 1000.0, static_cast<int>(getpid()),
                 static_cast<int>(r.tid), r.work, wq.c_str());
}

void* writer_main(void*) {
  sigset_t all;
  sigfillset(&all);
  pthread_sigmask(SIG_BLOCK, &all, nullptr);
  pthread_setname_np(pthread_self(), "cmwq-trace");
  for (;;) {
    if (sem_wait(&state().write_request) == 0) timeline_write(nullptr);
  }
  return nullptr;
}

void on_sigusr2(int) {
  const int saved = errno;
  sem_post(&state().write_request);  // async-signal-safe
  errno = saved;
}

void write_at_exit() {
  if (g_timeline_on.load(std::memory_order_relaxed)) timeline_write(nullptr);
}

// Installs the exit hook, the SIGUSR2 handler and its writer thread, once.
void start_writer(timeline_state& s) {
  if (s.writer_started) return;
  s.writer_started = true;
  std::atexit(write_at_exit);
  struct sigaction sa{};
  sa.sa_handler = on_sigusr2;
  sa.sa_flags = SA_RESTART;
  sigemptyset(&sa.sa_mask);
  sigaction(SIGUSR2, &sa, nullptr);
  pthread_t th;
  if (pthread_create(&th, nullptr, writer_main, nullptr) == 0) pthread_detach(th);
}

// CMWQ_TRACE takes effect before main(): this file is linked whenever a tracepoint is.
[[maybe_unused]] const bool g_env_read = (timeline_init_from_env(), true);

}  // namespace

void timeline_init_from_env() noexcept {
  const char* path = std::getenv("CMWQ_TRACE");
  if (!path || !*path) return;
  std::size_t cap = default_capacity;
  if (const char* n = std::getenv("CMWQ_TRACE_EVENTS"); n && *n) {
    char* end = nullptr;
    const unsigned long v = std::strtoul(n, &end, 10);
    if (*end || v == 0 || *n == '-') CMWQ_WARN("CMWQ_TRACE_EVENTS=%s is not a positive number, using %zu", n, cap);
    else cap = v;
  }
  timeline_start(path, cap);
}

bool timeline_start(const char* path, std::size_t capacity) noexcept {
  if (!path || !*path) return false;
  timeline_state& s = state();
  try {
    std::vector<record> ring(capacity ? capacity : default_capacity);
    std::lock_guard<std::mutex> g(s.lock);
    s.ring.swap(ring);
    s.next = 0;
    s.recorded = 0;
    s.path = path;
    start_writer(s);
  } catch (const std::exception&) {
    return false;
  }
  g_timeline_on.store(true, std::memory_order_relaxed);
  return true;
}

void timeline_stop() noexcept { g_timeline_on.store(false, std::memory_order_relaxed); }

int timeline_write(const char* path) noexcept {
  timeline_state& s = state();
  std::vector<record> events;
  std::map<pid_t, std::string> names;
  std::string target;
  std::uint64_t dropped = 0;
  try {
    std::lock_guard<std::mutex> g(s.lock);
    target = path ? path : s.path;
    const std::size_t n = s.recorded < s.ring.size() ? static_cast<std::size_t>(s.recorded) : s.ring.size();
    dropped = s.recorded - n;
    events.reserve(n);
    for (std::size_t i = 0; i < n; i++) events.push_back(s.ring[(s.next + s.ring.size() - n + i) % s.ring.size()]);
    names = s.thread_names;
  } catch (const std::exception&) {
    return -ENOMEM;
  }
  if (target.empty()) return -EINVAL;
  const std::string tmp = target + ".tmp";
  std::FILE* f = std::fopen(tmp.c_str(), "w");
  if (!f) return -errno;
  std::fprintf(f, "{\"displayTimeUnit\":\"ms\",\"otherData\":{\"dropped_events\":%llu},\"traceEvents\":[",
               static_cast<unsigned long long>(dropped));
  bool first = true;
  for (const auto& [tid, name] : names) {
    std::fprintf(f, "%s\n{\"name\":\"thread_name\",\"ph\":\"M\",\"pid\":%d,\"tid\":%d,\"args\":{\"name\":\"%s\"}}",
                 first ? "" : ",", static_cast<int>(getpid()), static_cast<int>(tid), json_escape(name.c_str()).c_str());
    first = false;
  }
  for (const record& r : events) write_event(f, r, first);
  std::fprintf(f, "\n]}\n");
  const bool ok = std::fflush(f) == 0;
  std::fclose(f);
  // Replace the file in one step: a reader never sees half a trace.
  if (!ok || std::rename(tmp.c_str(), target.c_str()) != 0) return -EIO;
  return 0;
}

void timeline_queue(const work* w, const pool_workqueue* pwq) noexcept {
  append({now_ns(), 0, w, w->func, pwq->wq->name, my_tid(), rec_kind::queue});
}

void timeline_execute_start(const work*, work_fn) noexcept {
  t_exec_start_ns = now_ns();
  worker* wk = current_worker();
  t_exec_wq = wk && wk->current_pwq ? wk->current_pwq->wq->name : nullptr;
}

void timeline_execute_end(const work* w, work_fn fn) noexcept {
  if (!t_exec_start_ns) return;  // recording started while this item ran
  const std::uint64_t end = now_ns();
  append({t_exec_start_ns, end - t_exec_start_ns, w, fn, t_exec_wq, my_tid(), rec_kind::execute});
  t_exec_start_ns = 0;
}

}  // namespace cmwq::core
