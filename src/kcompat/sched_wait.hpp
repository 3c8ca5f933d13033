// src/kcompat/sched_wait.hpp - what schedule() needs to know of prepare_to_wait().
//
//   cmwq::kcompat::sched_wait_pending()  the caller has a prepared wait entry
//   cmwq::kcompat::sched_wait_sleep()    sleep on its queue until woken or @deadline (mono_ns())
#pragma once

namespace cmwq::kcompat {

bool sched_wait_pending() noexcept;
void sched_wait_sleep(long long deadline) noexcept;

}  // namespace cmwq::kcompat
