// src/kcompat/slab.cpp - kmalloc() and friends on malloc(), with leak accounting.
//
// Lockdep: an allocation that may enter reclaim takes and releases the fs_reclaim pseudo-lock
// (src/lockdep/reclaim.cpp), as the kernel's allocator does, so that a lock also held by reclaim
// paths (a reclaim-annotated workqueue) is seen in a cycle.
//
// The problem: kernel-style code frees with kfree() alone, without a size, while the module
// runner wants to report how much is still allocated when a module unloads. The approach: every
// block carries a 16-byte header in front of it holding the size asked for and a magic word;
// that keeps the caller's pointer 16-byte aligned (malloc() gives 16 on cmwq's targets), lets
// kfree() subtract the right size, and lets it recognise (most) foreign or freed pointers.
// Two relaxed atomic counters hold the outstanding bytes and blocks: nothing orders them with
// other memory, and a reader gets an exact total once the allocating threads have been joined.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <cstring>

#include <linux/slab.h>
#include <linux/string.h>

#include "core/context.hpp"
#include "core/fault.hpp"
#include "core/warn.hpp"
#include "kcompat/task.hpp"
#include "lockdep/reclaim.hpp"

namespace cmwq::kcompat {
namespace {

constexpr std::uint64_t live_magic = 0x6b6d616c6c6f6321ULL;  // "kmalloc!"
constexpr std::uint64_t dead_magic = 0x6b667265656421a5ULL;

struct alignas(16) block_header {
  std::size_t size;     // bytes asked for
  std::uint64_t magic;  // live_magic while allocated
};
static_assert(sizeof(block_header) == 16, "the header must keep the 16-byte alignment");
static_assert(alignof(std::max_align_t) >= 16, "malloc() must return 16-byte aligned blocks");

std::size_t g_bytes = 0;   // X: relaxed counter, see above
std::size_t g_allocs = 0;  // X: relaxed counter, see above

block_header* header_of(const void* p) {
  return reinterpret_cast<block_header*>(const_cast<char*>(static_cast<const char*>(p)) - sizeof(block_header));
}

void account(std::size_t size, bool add) noexcept {
  if (add) {
    __atomic_fetch_add(&g_bytes, size, __ATOMIC_RELAXED);
    __atomic_fetch_add(&g_allocs, 1, __ATOMIC_RELAXED);
  } else {
    __atomic_fetch_sub(&g_bytes, size, __ATOMIC_RELAXED);
    __atomic_fetch_sub(&g_allocs, 1, __ATOMIC_RELAXED);
  }
}

// True if the kernel's allocator could enter direct reclaim that calls into the file system here
// (its fs_reclaim_acquire() rule): GFP_KERNEL and friends, not GFP_NOFS/NOIO/ATOMIC/NOWAIT, and
// never inside a memalloc_noreclaim_save() scope (PF_MEMALLOC: the task is reclaim itself).
bool may_enter_fs_reclaim(gfp_t flags) noexcept {
  return (flags & __GFP_DIRECT_RECLAIM) && (flags & __GFP_FS) && !core::in_memalloc();
}

// might_sleep() for allocations that may enter direct reclaim (GFP_KERNEL and the like), and
// lockdep's fs_reclaim pseudo-lock for those that may reach the file system.
__attribute__((__noinline__)) void gfp_check(gfp_t flags, const char* func) noexcept {
  if (gfpflags_allow_blocking(flags)) (void)sleep_check(func);
  if (lockdep::active() && may_enter_fs_reclaim(flags)) {
    lockdep::fs_reclaim_acquire(CMWQ_RET_IP());
    lockdep::fs_reclaim_release();
  }
}

// The kernel's failslab: an injected failure, except where the caller said it cannot cope.
bool inject_failure(gfp_t flags) noexcept {
  return !(flags & __GFP_NOFAIL) && core::should_fail(core::fault_point::slab);
}

void* alloc(std::size_t size, gfp_t flags, const char* func) noexcept {
  gfp_check(flags, func);
  if (size == 0) return ZERO_SIZE_PTR;
  if (size > KMALLOC_MAX_SIZE) {
    if (!(flags & __GFP_NOWARN)) CMWQ_WARN("%s: allocation of %zu bytes is too large", func, size);
    return nullptr;
  }
  if (inject_failure(flags)) return nullptr;
  void* raw = (flags & __GFP_ZERO) ? std::calloc(1, sizeof(block_header) + size)
                                    : std::malloc(sizeof(block_header) + size);
  if (!raw) return nullptr;
  auto* h = static_cast<block_header*>(raw);
  h->size = size;
  h->magic = live_magic;
  account(size, true);
  return h + 1;
}

// The header of a block that kfree()/krealloc()/ksize() may use, or nullptr (after a warning).
block_header* checked_header(const void* p, const char* func) noexcept {
  block_header* h = header_of(p);
  if (h->magic != live_magic) {
    CMWQ_WARN("%s: %p was not allocated by kmalloc() or was already freed; leaking it", func, p);
    return nullptr;
  }
  return h;
}

void release(const void* p, bool sensitive, const char* func) noexcept {
  if (ZERO_OR_NULL_PTR(p)) return;
  block_header* h = checked_header(p, func);
  if (!h) return;
  account(h->size, false);
  if (sensitive) memzero_explicit(h + 1, h->size);
  h->magic = dead_magic;
  std::free(h);
}

bool mul_overflows(std::size_t n, std::size_t size, std::size_t* out) noexcept {
  return __builtin_mul_overflow(n, size, out);
}

}  // namespace
}  // namespace cmwq::kcompat

using namespace cmwq;

extern "C" {

void* kmalloc(size_t size, gfp_t flags) { return kcompat::alloc(size, flags, "kmalloc"); }

void* kzalloc(size_t size, gfp_t flags) { return kcompat::alloc(size, flags | __GFP_ZERO, "kzalloc"); }

void* kmalloc_node(size_t size, gfp_t flags, int node) {
  (void)node;
  return kcompat::alloc(size, flags, "kmalloc_node");
}

void* kzalloc_node(size_t size, gfp_t flags, int node) {
  (void)node;
  return kcompat::alloc(size, flags | __GFP_ZERO, "kzalloc_node");
}

void* kmalloc_array(size_t n, size_t size, gfp_t flags) {
  size_t bytes;
  if (kcompat::mul_overflows(n, size, &bytes)) return nullptr;
  return kcompat::alloc(bytes, flags, "kmalloc_array");
}

void* kcalloc(size_t n, size_t size, gfp_t flags) {
  size_t bytes;
  if (kcompat::mul_overflows(n, size, &bytes)) return nullptr;
  return kcompat::alloc(bytes, flags | __GFP_ZERO, "kcalloc");
}

void* krealloc(const void* p, size_t new_size, gfp_t flags) {
  if (ZERO_OR_NULL_PTR(p)) return kcompat::alloc(new_size, flags, "krealloc");
  kcompat::gfp_check(flags, "krealloc");
  kcompat::block_header* h = kcompat::checked_header(p, "krealloc");
  if (!h) return nullptr;
  if (new_size == 0) {
    kfree(p);
    return ZERO_SIZE_PTR;
  }
  if (new_size > KMALLOC_MAX_SIZE || kcompat::inject_failure(flags)) return nullptr;
  const size_t old_size = h->size;
  auto* nh = static_cast<kcompat::block_header*>(std::realloc(h, sizeof(kcompat::block_header) + new_size));
  if (!nh) return nullptr;  // the old block is untouched
  if ((flags & __GFP_ZERO) && new_size > old_size)
    std::memset(reinterpret_cast<char*>(nh + 1) + old_size, 0, new_size - old_size);
  nh->size = new_size;
  kcompat::account(old_size, false);
  kcompat::account(new_size, true);
  return nh + 1;
}

void* krealloc_array(void* p, size_t new_n, size_t new_size, gfp_t flags) {
  size_t bytes;
  if (kcompat::mul_overflows(new_n, new_size, &bytes)) return nullptr;
  return krealloc(p, bytes, flags);
}

void* kmemdup(const void* src, size_t len, gfp_t gfp) {
  void* p = kcompat::alloc(len, gfp, "kmemdup");
  if (p && len) std::memcpy(p, src, len);
  return p;
}

char* kstrdup(const char* s, gfp_t gfp) {
  if (!s) return nullptr;
  const size_t len = std::strlen(s) + 1;
  auto* p = static_cast<char*>(kcompat::alloc(len, gfp, "kstrdup"));
  if (p) std::memcpy(p, s, len);
  return p;
}

char* kstrndup(const char* s, size_t max, gfp_t gfp) {
  if (!s) return nullptr;
  const size_t len = strnlen(s, max);
  auto* p = static_cast<char*>(kcompat::alloc(len + 1, gfp, "kstrndup"));
  if (p) {
    std::memcpy(p, s, len);
    p[len] = '\0';
  }
  return p;
}

const char* kstrdup_const(const char* s, gfp_t gfp) { return kstrdup(s, gfp); }

void kfree(const void* objp) { kcompat::release(objp, false, "kfree"); }

void kfree_const(const void* objp) { kcompat::release(objp, false, "kfree_const"); }

void kfree_sensitive(const void* objp) { kcompat::release(objp, true, "kfree_sensitive"); }

size_t ksize(const void* objp) {
  if (ZERO_OR_NULL_PTR(objp)) return 0;
  kcompat::block_header* h = kcompat::checked_header(objp, "ksize");
  return h ? h->size : 0;
}

void* kvmalloc(size_t size, gfp_t flags) { return kcompat::alloc(size, flags, "kvmalloc"); }
void* kvzalloc(size_t size, gfp_t flags) { return kcompat::alloc(size, flags | __GFP_ZERO, "kvzalloc"); }
void* kvcalloc(size_t n, size_t size, gfp_t flags) { return kcalloc(n, size, flags); }
void* kvmalloc_array(size_t n, size_t size, gfp_t flags) { return kmalloc_array(n, size, flags); }
void kvfree(const void* addr) { kcompat::release(addr, false, "kvfree"); }

size_t cmwq_kmalloc_outstanding_bytes(void) { return __atomic_load_n(&kcompat::g_bytes, __ATOMIC_RELAXED); }

size_t cmwq_kmalloc_outstanding_allocs(void) { return __atomic_load_n(&kcompat::g_allocs, __ATOMIC_RELAXED); }

}  // extern "C"
