// include/cmwq/builder.hpp - cmwq::builder, the one way to make a queue.
//
//   auto wq = cmwq::builder::unbound().max_active(4).mem_reclaim().build("nic-rx");
//
// Exactly one base kind: percpu() (served by per-CPU, concurrency-managed pools), unbound()
// (any CPU of the caller's pod, no concurrency management) or ordered() (unbound, one item at a
// time in queueing order, R8). The flag methods map to the kernel's WQ_* flags.
#pragma once

#include <string_view>
#include <system_error>

#include <cmwq/queue.hpp>

namespace cmwq {

namespace detail {
// The WQ_* values the builder sets. An installed header cannot include the engine's, so they are
// spelled out here and src/cxx/queue.cpp static_asserts each against core/engine.hpp.
namespace wq_flags {
inline constexpr unsigned unbound = 1u << 1;
inline constexpr unsigned freezable = 1u << 2;
inline constexpr unsigned mem_reclaim = 1u << 3;
inline constexpr unsigned highpri = 1u << 4;
inline constexpr unsigned cpu_intensive = 1u << 5;
inline constexpr unsigned sysfs = 1u << 6;
inline constexpr unsigned power_efficient = 1u << 7;
inline constexpr unsigned percpu = 1u << 8;
inline constexpr unsigned ordered = 1u << 17;
}  // namespace wq_flags
}  // namespace detail

// Affinity scopes of unbound queues (semantics.md 5.9): which CPUs share a pool.
enum class affinity { dfl, cpu, smt, cache, cache_shard, numa, system };

class builder {
 public:
  static builder percpu() noexcept { return builder(detail::wq_flags::percpu); }
  static builder unbound() noexcept { return builder(detail::wq_flags::unbound); }
  static builder ordered() noexcept { return builder(detail::wq_flags::unbound | detail::wq_flags::ordered); }

  // 0 = default (1024); out of [1, 2048] is clamped with a warning. Ignored for ordered().
  builder& max_active(int n) noexcept { max_active_ = n; return *this; }
  builder& freezable() noexcept { flags_ |= detail::wq_flags::freezable; return *this; }
  // A rescuer thread guarantees forward progress when no worker can be created (R: 5.12).
  builder& mem_reclaim() noexcept { flags_ |= detail::wq_flags::mem_reclaim; return *this; }
  builder& highpri() noexcept { flags_ |= detail::wq_flags::highpri; return *this; }
  builder& cpu_intensive() noexcept { flags_ |= detail::wq_flags::cpu_intensive; return *this; }
  builder& sysfs() noexcept { flags_ |= detail::wq_flags::sysfs; return *this; }
  builder& power_efficient() noexcept { flags_ |= detail::wq_flags::power_efficient; return *this; }
  // Unbound queues: the pod granularity (default: the default_affinity_scope parameter,
  // cache_shard) and whether workers are confined to their pod (strict) or only start there.
  builder& affinity_scope(affinity a) noexcept { scope_ = a; return *this; }
  builder& affinity_strict(bool strict = true) noexcept { strict_ = strict; return *this; }

  // builder::build() - allocates the queue (names longer than 31 characters are truncated with a
  // warning). May block. On failure the result is empty (`!result`) and `ec`, if given, says why:
  // errc::not_enough_memory when the queue, a pwq or the rescuer could not be allocated.
  owned_queue build(std::string_view name) const noexcept;
  owned_queue build(std::string_view name, std::error_code& ec) const noexcept;

  unsigned flags() const noexcept { return flags_; }

 private:
  explicit builder(unsigned f) noexcept : flags_(f) {}
  unsigned flags_;
  int max_active_ = 0;
  affinity scope_ = affinity::dfl;
  bool strict_ = false;
};

}  // namespace cmwq
