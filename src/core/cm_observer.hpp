// src/core/cm_observer.hpp - which mechanism concurrency management uses to see workers block
// without telling it (docs/concurrency.md): the public report call of sched_events.cpp.
#pragma once

namespace cmwq::core {

// perf (scheduler events), proc (the /proc sampler) or off; CMWQ_CM_OBSERVE picks one,
// otherwise perf where perf_event_open(2) is allowed, else proc.
enum class cm_observer : int { off = 0, proc = 1, perf = 2 };

// cm_observer_active - Return: the active mechanism (resolved from CMWQ_CM_OBSERVE and a probe at
// the first call; it may fall back from perf to proc later, once). Context: any.
cm_observer cm_observer_active() noexcept;
// cm_observer_name - Return: "off", "proc" or "perf" (a static string).
const char* cm_observer_name(cm_observer o) noexcept;

}  // namespace cmwq::core
