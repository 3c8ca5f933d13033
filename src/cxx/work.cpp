// src/cxx/work.cpp - cmwq::work and cmwq::delayed_work on the engine's item API.
#include <cmwq/work.hpp>

#include <cstddef>
#include <type_traits>

#include "core/warn.hpp"
#include "core/engine.hpp"

namespace core = cmwq::core;

static_assert(sizeof(cmwq::detail::raw_work) == sizeof(core::work));
static_assert(offsetof(cmwq::detail::raw_work, entry) == offsetof(core::work, entry));
static_assert(offsetof(cmwq::detail::raw_work, func) == offsetof(core::work, func));
static_assert(offsetof(cmwq::detail::raw_work, lockdep_class) == offsetof(core::work, lockdep_map));
static_assert(sizeof(cmwq::detail::raw_lockdep_class) == sizeof(cmwq::lockdep::map));
static_assert(sizeof(cmwq::detail::raw_delayed_work) == sizeof(core::delayed_work));
static_assert(offsetof(cmwq::detail::raw_delayed_work, timer) == offsetof(core::delayed_work, t));
static_assert(offsetof(cmwq::detail::raw_delayed_work, wq) == offsetof(core::delayed_work, wq));
static_assert(offsetof(cmwq::detail::raw_timer, function) == offsetof(core::timer, function));
// The engine's work_struct* is the item's address, and item_closure finds the closure right
// after a work's raw struct, and in a delayed work's timer function word (timer_flag_dwork).
static_assert(std::is_standard_layout_v<cmwq::work> && std::is_standard_layout_v<cmwq::delayed_work>);
static_assert(sizeof(cmwq::work) == sizeof(cmwq::detail::raw_work) + sizeof(cmwq::detail::item_closure));
static_assert(sizeof(cmwq::delayed_work) == sizeof(cmwq::detail::raw_delayed_work));
static_assert(sizeof(cmwq::delayed_work) <= 100, "issue 14: a pending delayed work fits in 100 bytes");

namespace cmwq {

namespace {
core::work* W(detail::raw_work* w) { return reinterpret_cast<core::work*>(w); }
core::delayed_work* DW(detail::raw_delayed_work* w) { return reinterpret_cast<core::delayed_work*>(w); }

// Destroying an item from inside its own closure cannot wait for itself: it warns and cancels
// what is pending (the closure object must stay valid until the closure returns).
bool inside_own_closure(detail::raw_work* w) {
  if (!core::work_executing_on_self(W(w))) return false;
  CMWQ_WARN("cmwq::work destroyed from inside its own closure; the running closure must not touch it again");
  return true;
}
}  // namespace

void detail::work_init(raw_work* w, void (*fn)(::work_struct*), const raw_lockdep_class* cls) noexcept {
  core::work_init(W(w), fn, reinterpret_cast<const cmwq::lockdep::map*>(cls));
}
void detail::delayed_work_init(raw_delayed_work* w, void (*fn)(::work_struct*), const raw_lockdep_class* cls) noexcept {
  // timer_flag_dwork: the timer's function word holds the closure (cmwq::delayed_work).
  core::delayed_work_init(DW(w), fn, core::timer_flag_dwork, reinterpret_cast<const cmwq::lockdep::map*>(cls));
}

work::~work() {
  if (inside_own_closure(raw()))
    core::cancel_work(W(raw()));
  else
    core::cancel_work_sync(W(raw()));
  closure_.destroy<sizeof(detail::raw_work)>(raw_.func);
}
bool work::flush() noexcept { return core::flush_work(W(raw())); }
bool work::cancel() noexcept { return core::cancel_work(W(raw())); }
bool work::cancel_sync() noexcept { return core::cancel_work_sync(W(raw())); }
bool work::disable() noexcept { return core::disable_work(W(raw())); }
bool work::disable_sync() noexcept { return core::disable_work_sync(W(raw())); }
bool work::enable() noexcept { return core::enable_work(W(raw())); }
bool work::running() noexcept { return core::work_busy(W(raw())) & core::busy_running; }
bool delayed_work::running() noexcept { return core::work_busy(W(&raw()->work)) & core::busy_running; }

delayed_work::~delayed_work() {
  if (inside_own_closure(&raw()->work))
    core::cancel_delayed_work(DW(raw()));
  else
    core::cancel_delayed_work_sync(DW(raw()));
  closure()->destroy<closure_offset>(raw_.work.func);
}
bool delayed_work::flush() noexcept { return core::flush_delayed_work(DW(raw())); }
bool delayed_work::cancel() noexcept { return core::cancel_delayed_work(DW(raw())); }
bool delayed_work::cancel_sync() noexcept { return core::cancel_delayed_work_sync(DW(raw())); }
bool delayed_work::disable() noexcept { return core::disable_delayed_work(DW(raw())); }
bool delayed_work::disable_sync() noexcept { return core::disable_delayed_work_sync(DW(raw())); }
bool delayed_work::enable() noexcept { return core::enable_delayed_work(DW(raw())); }

}  // namespace cmwq
