// tests/spawn_cache_test.cpp - try_spawn()'s recycled nodes (src/cxx/spawn_cache.cpp).
//
// Producers allocate nodes and workers free them, so nodes travel between threads through the
// per-thread lists and the depot. Each closure carries a payload that it checks when it runs: a
// node handed out twice, or reused while still queued, would show as a corrupted payload or a
// wrong count. Closures of every size class, one too big for them and one over-aligned.
#include <gtest/gtest.h>

#include <array>
#include <atomic>
#include <thread>
#include <vector>

#include <cmwq/cmwq.hpp>

namespace {

constexpr int k_producers = 4;
constexpr int k_rounds = 3000;  // per producer; well past the depot's bound in flight

struct counters {
  std::atomic<long> runs{0};
  std::atomic<long> corrupt{0};
};

template <std::size_t N>
struct payload {
  std::array<long, N> v;
  explicit payload(long seed) {
    for (std::size_t i = 0; i < N; i++) v[i] = seed * 31 + static_cast<long>(i);
  }
  bool intact(long seed) const {
    for (std::size_t i = 0; i < N; i++)
      if (v[i] != seed * 31 + static_cast<long>(i)) return false;
    return true;
  }
};

struct alignas(64) aligned_payload {
  long seed;
};

template <std::size_t N>
void spawn_checked(const cmwq::queue& q, counters* c, long seed) {
  payload<N> p(seed);
  ASSERT_FALSE(q.try_spawn([c, p, seed] {
    if (!p.intact(seed)) c->corrupt.fetch_add(1);
    c->runs.fetch_add(1);
  }));
}

void produce(const cmwq::queue& q, counters* c, int producer) {
  for (int i = 0; i < k_rounds; i++) {
    const long seed = producer * 1000003L + i;
    spawn_checked<1>(q, c, seed);   // 64-byte class
    spawn_checked<8>(q, c, seed);   // 128-byte class
    spawn_checked<24>(q, c, seed);  // beyond the classes: operator new
    aligned_payload a{seed};
    ASSERT_FALSE(q.try_spawn([c, a, seed] {
      if (a.seed != seed) c->corrupt.fetch_add(1);
      c->runs.fetch_add(1);
    }));
  }
}

void run_producers(const cmwq::queue& q, counters* c) {
  std::vector<std::thread> th;
  for (int p = 0; p < k_producers; p++) th.emplace_back([&q, c, p] { produce(q, c, p); });
  for (auto& t : th) t.join();
  q.flush();
}

TEST(spawn_cache, recycled_nodes_run_every_closure_once_with_its_payload) {
  for (auto* b : {&cmwq::builder::percpu, &cmwq::builder::unbound}) {
    cmwq::owned_queue q = b().build("spawn-cache");
    ASSERT_TRUE(q);
    counters c;
    run_producers(*q, &c);
    EXPECT_EQ(c.runs.load(), 4L * k_producers * k_rounds);
    EXPECT_EQ(c.corrupt.load(), 0);
  }
}

// A worker that spawns from inside an item both frees and allocates: its own list serves it.
TEST(spawn_cache, items_that_spawn_items_reuse_the_nodes_they_free) {
  cmwq::owned_queue q = cmwq::builder::percpu().build("spawn-chain");
  ASSERT_TRUE(q);
  counters c;
  constexpr int k_chain = 20000;
  struct chain {
    cmwq::queue q;
    counters* c;
    void step(int left, long seed) const {
      payload<4> p(seed);
      const chain self = *this;
      EXPECT_FALSE(q.try_spawn([self, p, left, seed] {
        if (!p.intact(seed)) self.c->corrupt.fetch_add(1);
        self.c->runs.fetch_add(1);
        if (left > 1) self.step(left - 1, seed + 1);
      }));
    }
  };
  chain{*q, &c}.step(k_chain, 7);
  while (c.runs.load() < k_chain) std::this_thread::yield();
  q->flush();
  EXPECT_EQ(c.runs.load(), k_chain);
  EXPECT_EQ(c.corrupt.load(), 0);
}

}  // namespace
