// src/core/timeline.hpp - a timeline of queueing and execution per thread, written in the Chrome
// trace event format that Perfetto (ui.perfetto.dev) and chrome://tracing open
// (docs/observability.md, "Timeline").
//
//   CMWQ_TRACE=path.json     start recording at the first use of the library; written at exit,
//                            on SIGUSR2, and by timeline_write()
//   CMWQ_TRACE_EVENTS=N      ring capacity in events (default 65536): the newest N are kept
//   timeline_start()/stop()/write()   the same from code (cmwq_trace_start() ... in C)
//
// The recording hooks are the tracepoints (tracepoints.hpp): one relaxed load each while off.
#pragma once

#include <atomic>
#include <cstddef>
#include <cstdint>

#include "work.hpp"

namespace cmwq::core {

struct pool_workqueue;

// X: relaxed; true while recording. Read by every tracepoint.
extern std::atomic<bool> g_timeline_on;

// Reads CMWQ_TRACE once (called at the first queueing); starts recording if it is set.
void timeline_init_from_env() noexcept;
// Starts recording into a fresh ring of `capacity` events (0: the default), to be written to
// `path` at exit. Returns false (and changes nothing) if `path` is empty or memory is short.
bool timeline_start(const char* path, std::size_t capacity) noexcept;
void timeline_stop() noexcept;
// Writes the ring to `path` (nullptr: the path given at start). Returns 0 or -errno.
int timeline_write(const char* path) noexcept;

void timeline_queue(const work* w, const pool_workqueue* pwq) noexcept;
void timeline_execute_start(const work* w, work_fn fn) noexcept;
void timeline_execute_end(const work* w, work_fn fn) noexcept;

}  // namespace cmwq::core
