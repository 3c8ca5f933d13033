// include/cmwq/item_closure.hpp - where a C++ work item keeps its closure (plumbing of
// cmwq::work and cmwq::delayed_work; callers ignore it).
//
//   cmwq::detail::item_closure  8 bytes at a fixed offset from the item's work_struct (right
//                               after a work's raw struct; in a delayed_work's timer function
//                               word): the closure itself when it is small and trivially
//                               copyable ([this], [ptr], [i]: the common case), else a
//                               cmwq::unique_function holding it on the heap.
//
// The engine calls an item through raw_work.func, so that pointer is the type erasure: store()
// returns a trampoline made for the closure's type and for where the closure sits (Offset bytes
// after the work_struct the engine passes), and no vtable or `self` pointer is needed. A heap
// closure is recognised by its trampoline (one per Offset), which is how destroy() knows to free
// it. This keeps a pending cmwq::delayed_work at sizeof(raw_delayed_work), 96 bytes, with no
// allocation for small closures (issue 14: it was 112 bytes plus a 32-byte heap chunk, then 104).
#pragma once

#include <cstddef>
#include <new>
#include <type_traits>
#include <utility>

#include "unique_function.hpp"

struct work_struct;

namespace cmwq::detail {

class item_closure {
 public:
  using entry_fn = void (*)(::work_struct*);

  template <class F>
  static constexpr bool fits_inline = sizeof(F) <= sizeof(void*) && alignof(F) <= alignof(void*) &&
                                      std::is_trivially_copyable_v<F> && std::is_trivially_destructible_v<F>;

  // Keeps `fn` here (or on the heap: may throw std::bad_alloc) and returns the function the
  // engine must call with the item's work_struct, which lies Offset bytes before this object.
  // The 8 bytes may hold anything before (store() never reads them).
  template <std::size_t Offset, class F>
  entry_fn store(F&& fn) {
    using D = std::decay_t<F>;
    if constexpr (fits_inline<D>) {
      ::new (static_cast<void*>(bytes_)) D(std::forward<F>(fn));
      return &call_inline<Offset, D>;
    } else {
      ::new (static_cast<void*>(bytes_)) heap_closure(std::forward<F>(fn));
      return &call_heap<Offset>;
    }
  }

  // Frees a heap closure; `installed` is what store() returned. The item must be idle.
  template <std::size_t Offset>
  void destroy(entry_fn installed) noexcept {
    if (installed == &call_heap<Offset>) std::launder(reinterpret_cast<heap_closure*>(bytes_))->~heap_closure();
  }

 private:
  // A closure too big or not trivially copyable: the public move-only function type, one pointer.
  using heap_closure = unique_function<void()>;
  static_assert(sizeof(heap_closure) == sizeof(void*) && alignof(heap_closure) <= alignof(void*));

  template <std::size_t Offset>
  static item_closure* at(::work_struct* w) noexcept {
    return std::launder(reinterpret_cast<item_closure*>(reinterpret_cast<char*>(w) + Offset));
  }
  template <std::size_t Offset, class D>
  static void call_inline(::work_struct* w) {
    (*std::launder(reinterpret_cast<D*>(at<Offset>(w)->bytes_)))();
  }
  template <std::size_t Offset>
  static void call_heap(::work_struct* w) {
    (*std::launder(reinterpret_cast<heap_closure*>(at<Offset>(w)->bytes_)))();
  }

  alignas(void*) unsigned char bytes_[sizeof(void*)];
};

static_assert(sizeof(item_closure) == sizeof(void*));

}  // namespace cmwq::detail
