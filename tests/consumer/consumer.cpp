// consumer.cpp - a downstream C++ program built against an installed cmwq (find_package or
// pkg-config). Uses only the public C++ API: builds a queue, spawns a closure, waits for it.
#include <cmwq/cmwq.hpp>

#include <chrono>
#include <cstdio>
#include <future>

int main() {
  using namespace std::chrono_literals;

  std::promise<int> ran;
  std::future<int> result = ran.get_future();
  {
    cmwq::owned_queue wq = cmwq::builder::unbound().max_active(2).build("consumer");
    // try_spawn reports failure (out of memory) as a value; a failure shows up below as a timeout.
    (void)wq->try_spawn([&ran] { ran.set_value(42); });
    if (result.wait_for(30s) != std::future_status::ready) {
      std::fprintf(stderr, "consumer_cxx: the spawned closure did not run within 30 s\n");
      return 1;
    }
  }  // owned_queue's destructor drains and destroys the queue
  const int value = result.get();
  std::printf("consumer_cxx: closure ran on queue \"consumer\" (value %d)\n", value);
  return value == 42 ? 0 : 1;
}
