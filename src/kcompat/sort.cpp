// src/kcompat/sort.cpp - sort() and sort_r(): the kernel's in-place heapsort.
//
// The kernel sorts with heapsort because it needs a bounded worst case (O(n log n)), no memory
// allocation and no recursion (kernel stacks are small); callers accept that it is not stable.
// This is the same contract, written here: build a max-heap bottom-up, then repeatedly swap the
// root to the end and sift the new root down. Elements are addressed as byte offsets; the
// default swap moves 8- or 4-byte words when size and alignment allow, else bytes.
#include <cstdint>
#include <cstring>

#include <linux/sort.h>

#include "core/warn.hpp"

namespace {

struct sorter {
  char* base;
  size_t size;
  cmp_r_func_t cmp;
  swap_r_func_t swap;
  const void* priv;

  char* at(size_t i) const noexcept { return base + i * size; }
  bool less(size_t a, size_t b) const noexcept { return cmp(at(a), at(b), priv) < 0; }
  void exchange(size_t a, size_t b) const noexcept { swap(at(a), at(b), static_cast<int>(size), priv); }

  // Restores the heap below @root, for the first @n elements.
  void sift_down(size_t root, size_t n) const noexcept {
    for (;;) {
      size_t child = 2 * root + 1;
      if (child >= n) return;
      if (child + 1 < n && less(child, child + 1)) ++child;
      if (!less(root, child)) return;
      exchange(root, child);
      root = child;
    }
  }

  void run(size_t n) const noexcept {
    for (size_t i = n / 2; i-- > 0;) sift_down(i, n);
    for (size_t end = n; end-- > 1;) {
      exchange(0, end);
      sift_down(0, end);
    }
  }
};

template <typename Word>
void swap_words(void* a, void* b, int size) noexcept {
  auto* x = static_cast<Word*>(a);
  auto* y = static_cast<Word*>(b);
  for (size_t i = 0; i < static_cast<size_t>(size) / sizeof(Word); ++i) {
    Word t = x[i];
    x[i] = y[i];
    y[i] = t;
  }
}

void generic_swap(void* a, void* b, int size, const void* priv) noexcept {
  (void)priv;
  const auto align = reinterpret_cast<uintptr_t>(a) | reinterpret_cast<uintptr_t>(b) | static_cast<uintptr_t>(size);
  if (align % 8 == 0)
    swap_words<uint64_t>(a, b, size);
  else if (align % 4 == 0)
    swap_words<uint32_t>(a, b, size);
  else
    swap_words<unsigned char>(a, b, size);
}

// sort()'s callbacks take no @priv; sort_r's machinery passes the caller's pair through it.
struct plain_callbacks {
  cmp_func_t cmp;
  swap_func_t swap;
};

int plain_cmp(const void* a, const void* b, const void* priv) {
  return static_cast<const plain_callbacks*>(priv)->cmp(a, b);
}

void plain_swap(void* a, void* b, int size, const void* priv) {
  static_cast<const plain_callbacks*>(priv)->swap(a, b, size);
}

}  // namespace

extern "C" {

void sort_r(void* base, size_t num, size_t size, cmp_r_func_t cmp_func, swap_r_func_t swap_func, const void* priv) {
  if (num < 2) return;
  if (!base || size == 0 || !cmp_func || size > static_cast<size_t>(INT32_MAX)) {
    CMWQ_WARN("sort: bad arguments (base %p, size %zu, cmp %s); the array is left unsorted", base, size,
              cmp_func ? "set" : "NULL");
    return;
  }
  const sorter s{static_cast<char*>(base), size, cmp_func, swap_func ? swap_func : generic_swap, priv};
  s.run(num);
}

void sort(void* base, size_t num, size_t size, cmp_func_t cmp_func, swap_func_t swap_func) {
  if (!cmp_func) {
    sort_r(base, num, size, nullptr, nullptr, nullptr);  // WARNs
    return;
  }
  const plain_callbacks cb{cmp_func, swap_func};
  sort_r(base, num, size, plain_cmp, swap_func ? plain_swap : nullptr, &cb);
}

}  // extern "C"
