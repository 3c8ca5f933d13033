// src/cxx/spawn_cache.cpp - try_spawn()'s node allocator: recycled nodes instead of
// producer-malloc / worker-free.
//
// A try_spawn() node is allocated by the producer and freed by the worker that ran it, so with
// plain malloc neither thread's tcache stays warm: the producer always takes fresh chunks and the
// worker's frees overflow into the arena bins (about 20% of W1's CPU time in the profile of
// docs/benchmarks.md). Here small nodes are rounded up to one of two size classes and recycled:
//
//   - each thread keeps a private free list per class (no atomics on its fast path);
//   - a thread whose list grows past `local_cap` (a worker: it frees what others allocated) hands
//     a batch of `batch` nodes to the depot, one lock hold per batch;
//   - a thread whose list is empty (a producer) takes a whole batch from the depot, again one
//     lock hold, before falling back to operator new.
//
// The depot is a locked stack of full batches, bounded (depot_batches per class: a producer that
// runs thousands of items ahead of the workers finds its nodes again); a batch that finds it full
// goes back to operator delete, and a thread's list is freed when the thread exits. The depot's
// lock and count are the one shared cache line per class on this path, touched once per `batch`
// items by each side. It is a core::mutex of lock_kind::spinlock, as the kernel's slab locks are
// spinlocks: a worker that sleeps on it while freeing its item's node is not taken for blocked
// by concurrency management (a std::mutex sleep was, and woke a second worker: docs/concurrency.md,
// "What counts as blocking").
//
// Under AddressSanitizer the cache is bypassed so that a use after free of a node stays visible.
#include <cmwq/detail.hpp>

#include <atomic>
#include <cstddef>
#include <new>

#include "core/fault.hpp"
#include "core/lock.hpp"

#if defined(__SANITIZE_ADDRESS__)
#define CMWQ_SPAWN_CACHE 0
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define CMWQ_SPAWN_CACHE 0
#endif
#endif
#ifndef CMWQ_SPAWN_CACHE
#define CMWQ_SPAWN_CACHE 1
#endif

namespace cmwq {
namespace {

constexpr std::size_t class_sizes[] = {64, 128};  // a closure of up to 24 or 88 bytes
constexpr int nr_classes = 2;
constexpr int batch = 32;
constexpr int local_cap = 2 * batch;
// Per class: at most 32,768 nodes (2 or 4 MiB) kept. A W1 producer bursts tens of thousands of
// items ahead of the workers; with 8,192 a quarter of its nodes still came from operator new
// (callgrind, docs/benchmarks.md). The memory of such a burst stays in malloc's arena otherwise.
constexpr int depot_batches = 1024;

struct free_node {
  free_node* next;        // the next node of its batch, or of the thread's list
  free_node* next_batch;  // in the first node of a batch in the depot: the next batch
};

// Full batches that wait for a thread with an empty list. The lock is taken once per `batch`
// items by each side; `nr` lets an allocator see an empty depot without taking it.
struct alignas(64) depot {
  core::mutex lock{core::lock_kind::spinlock};
  free_node* batches CMWQ_GUARDED_BY(lock) = nullptr;
  std::atomic<int> nr{0};        // X: written under lock, read relaxed as a hint
};
depot g_depot[nr_classes];

struct local_list {
  free_node* head = nullptr;  // T: this thread's free nodes
  int count = 0;              // T
};

// Frees the calling thread's lists when it exits.
struct local_lists {
  local_list cls[nr_classes];
  ~local_lists() {
    for (auto& l : cls)
      while (l.head) {
        free_node* n = l.head;
        l.head = n->next;
        ::operator delete(n);
      }
  }
};

local_lists& lists() {
  thread_local local_lists t;
  return t;
}

int class_of(std::size_t size, std::size_t align) {
  if (align > __STDCPP_DEFAULT_NEW_ALIGNMENT__) return -1;
  for (int c = 0; c < nr_classes; c++)
    if (size <= class_sizes[c]) return c;
  return -1;
}

// Takes a full batch from the depot into the empty list `l`. Returns whether one was there.
bool refill(local_list& l, int c) {
  depot& d = g_depot[c];
  if (d.nr.load(std::memory_order_relaxed) == 0) return false;
  core::lock_guard g(d.lock);
  free_node* b = d.batches;
  if (!b) return false;
  d.batches = b->next_batch;
  d.nr.store(d.nr.load(std::memory_order_relaxed) - 1, std::memory_order_relaxed);
  l.head = b;
  l.count = batch;
  return true;
}

// Moves `batch` nodes from the front of `l` to the depot, or to operator delete if it is full.
void spill(local_list& l, int c) {
  free_node* first = l.head;
  free_node* last = first;
  for (int i = 1; i < batch; i++) last = last->next;
  l.head = last->next;
  l.count -= batch;
  last->next = nullptr;
  depot& d = g_depot[c];
  if (d.nr.load(std::memory_order_relaxed) < depot_batches) {
    core::lock_guard g(d.lock);
    const int nr = d.nr.load(std::memory_order_relaxed);
    if (nr < depot_batches) {
      first->next_batch = d.batches;
      d.batches = first;
      d.nr.store(nr + 1, std::memory_order_relaxed);
      return;
    }
  }
  while (first) {
    free_node* n = first;
    first = n->next;
    ::operator delete(n);
  }
}

}  // namespace

void* detail::spawn_alloc(std::size_t size, std::size_t align) noexcept {
  if (core::should_fail(core::fault_point::spawn_alloc)) return nullptr;
  const int c = CMWQ_SPAWN_CACHE ? class_of(size, align) : -1;
  if (c < 0) {
    if (align <= __STDCPP_DEFAULT_NEW_ALIGNMENT__) return ::operator new(size, std::nothrow);
    return ::operator new(size, std::align_val_t(align), std::nothrow);
  }
  local_list& l = lists().cls[c];
  if (l.head || refill(l, c)) {
    free_node* n = l.head;
    l.head = n->next;
    l.count--;
    return n;
  }
  return ::operator new(class_sizes[c], std::nothrow);
}

void detail::spawn_free(void* p, std::size_t size, std::size_t align) noexcept {
  const int c = CMWQ_SPAWN_CACHE ? class_of(size, align) : -1;
  if (c < 0) {
    if (align <= __STDCPP_DEFAULT_NEW_ALIGNMENT__)
      ::operator delete(p);
    else
      ::operator delete(p, std::align_val_t(align));
    return;
  }
  local_list& l = lists().cls[c];
  auto* n = static_cast<free_node*>(p);
  n->next = l.head;
  l.head = n;
  if (++l.count > local_cap) spill(l, c);
}

}  // namespace cmwq
