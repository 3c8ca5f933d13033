// src/kcompat/devres.hpp - the private half of struct device: the devres list and bound state.
//
//   device_private                        what struct device::p points to.
//   cmwq::kcompat::devres_add()           register an entry (an action with optional payload).
//   cmwq::kcompat::devres_find_remove()   unlink the newest entry that matches (and release it).
//   cmwq::kcompat::devres_release_all()   release every entry, newest first (driver detach).
//
// The kernel's drivers/base/devres.c keeps one list per device under a spinlock and releases it
// in reverse order; so does this. An entry is either an action (call `action(data)`) or memory
// (devm_kmalloc: nothing to call, the memory is the entry's payload). Entries are allocated in
// one piece with their payload, as the kernel's `struct devres` is.
#pragma once

#include <cstddef>

#include "core/guards.hpp"
#include "core/lock.hpp"

struct device;

namespace cmwq::kcompat {
struct devres_node;
}

// What struct device::p points to (declared, not defined, in linux/device.h).
// Guard letters: D = device_private::lock.
struct device_private {
  cmwq::core::mutex lock;                                  // the devres lock; a leaf
  cmwq::kcompat::devres_node* head CMWQ_GUARDED_BY(lock);  // D: oldest entry
  cmwq::kcompat::devres_node* tail CMWQ_GUARDED_BY(lock);  // D: newest entry (release starts here)
  bool bound CMWQ_GUARDED_BY(lock);                        // D: between new/attach and unbind
};

namespace cmwq::kcompat {

using devres_action = void (*)(void*);

// Registers `action` to run at release. With payload_size == 0, `data` is passed to it; otherwise
// the entry carries `payload_size` bytes (max_align_t aligned), a copy of `data` or zeroed when
// `data` is nullptr, and the payload's address is passed. `memory` entries have no action: their payload is the devm memory.
// `gfp` selects whether the allocation may sleep (GFP_KERNEL checks the context).
// Returns false when registration fails (fault hook or no memory); on success stores the
// payload's address (nullptr without payload) in *payload when that is non-null.
bool devres_add(device* dev, devres_action action, void* data, std::size_t payload_size, unsigned int gfp,
                bool memory, void** payload) noexcept;

// Predicate over an entry: its action's argument (data or payload) and the caller's context.
using devres_match = bool (*)(void* arg, const void* ctx);

// Unlinks the newest entry with `action` (nullptr: a memory entry) whose argument satisfies
// `match` (nullptr: equals `ctx`); calls the action when `call`; frees it. Returns whether one
// matched.
bool devres_find_remove(device* dev, devres_action action, devres_match match, const void* ctx, bool call) noexcept;

// Releases every entry, newest first, without the lock held. Entries added meanwhile stay.
void devres_release_all(device* dev) noexcept;

}  // namespace cmwq::kcompat
