// include/cmwq/detail.hpp - plumbing that is public only by necessity; callers ignore it.
//
// raw_work / raw_delayed_work have the exact layout of the engine's items (and of the C API's
// struct work_struct / struct delayed_work); src/cxx static_asserts that.
#pragma once

#include <cstddef>
#include <cstdint>

// The C type of work items (defined by <linux/workqueue.h>; only its name is needed here). The
// engine calls every work function through `void (*)(work_struct *)`, so closures' trampolines
// are defined with exactly that type.
struct work_struct;

namespace cmwq::detail {

struct raw_list {
  raw_list* next;
  raw_list* prev;
};

struct raw_work {
  long data;
  raw_list entry;
  void (*func)(::work_struct*);
  const void* lockdep_class;  // the item's lockdep class descriptor (docs/lockdep.md)
};

// One lockdep class per closure type: items built from one lambda expression share a class.
struct raw_lockdep_class {
  const void* key;
  const char* name;
};
template <class T>
struct lockdep_class_of {
  static inline const char key = 0;
  static inline const raw_lockdep_class cls{&key, "(work_completion)cmwq::work"};
};

struct raw_timer {
  void* next;
  void* pprev;
  unsigned long expires;
  void (*function)(raw_timer*);
  unsigned int flags;
};

struct raw_delayed_work {
  raw_work work;
  raw_timer timer;
  std::uintptr_t wq;
  int cpu;
};

// struct rcu_head and struct rcu_work of <linux/rcupdate.h> / <linux/workqueue.h>.
struct raw_rcu_head {
  raw_rcu_head* next;
  void (*func)(raw_rcu_head*);
};
struct raw_rcu_work {
  raw_work work;
  raw_rcu_head rcu;
  std::uintptr_t wq;
};

// Engine entry points used by the inline parts of the C++ API.
void work_init(raw_work* w, void (*fn)(::work_struct*), const raw_lockdep_class* cls = nullptr) noexcept;
// Leaves w->timer.function alone: it holds the C++ item's closure (cmwq::delayed_work).
void delayed_work_init(raw_delayed_work* w, void (*fn)(::work_struct*), const raw_lockdep_class* cls = nullptr) noexcept;
void* spawn_alloc(std::size_t size, std::size_t align) noexcept;  // nullptr on failure
void spawn_free(void* p, std::size_t size, std::size_t align) noexcept;

}  // namespace cmwq::detail
