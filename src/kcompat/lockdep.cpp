// src/kcompat/lockdep.cpp - linux/lockdep.h: the C door to the validator in src/lockdep.
//
// Thin: each call converts the C arguments and forwards. The "at:" address of a report is this
// call's return address, i.e. the C code that took the lock (the inline wrappers fold away).
#include <cstdint>

#include <linux/lockdep.h>

#include "lockdep/lockdep.hpp"

using namespace cmwq;

static_assert(sizeof(lockdep_map) == sizeof(lockdep::map), "struct lockdep_map mirrors lockdep::map");
static_assert(offsetof(lockdep_map, cmwq_key) == offsetof(lockdep::map, key), "cmwq_key");
static_assert(offsetof(lockdep_map, cmwq_name) == offsetof(lockdep::map, name), "cmwq_name");

namespace {
lockdep::mode mode_of(int read) {
  return read == 2 ? lockdep::mode::recursive_read : read ? lockdep::mode::shared : lockdep::mode::exclusive;
}
}  // namespace

extern "C" {

void cmwq_lockdep_enable(bool on) { lockdep::enable(on); }
bool cmwq_lockdep_enabled(void) { return lockdep::active(); }
void cmwq_lockdep_reset(void) { lockdep::reset(); }
unsigned long cmwq_lockdep_report_count(void) { return lockdep::report_count(); }

void cmwq_lock_acquire(const void* instance, const void* key, const char* name, unsigned int subclass, int trylock,
                       int read) {
  lockdep::acquire(instance, key, name, subclass, trylock != 0, mode_of(read), CMWQ_RET_IP());
}

void cmwq_lock_release(const void* instance) { lockdep::release(instance); }

void cmwq_lock_touch(const void* instance, const void* key, const char* name, int read) {
  lockdep::touch(instance, key, name, mode_of(read), CMWQ_RET_IP());
}

bool cmwq_lockdep_is_held(const void* instance) { return lockdep::is_held(instance); }

void cmwq_lockdep_assert_held(const void* instance, const char* what, const char* file, int line) {
  lockdep::assert_held(instance, what, file, line);
}

void cmwq_lockdep_assert_not_held(const void* instance, const char* what, const char* file, int line) {
  lockdep::assert_not_held(instance, what, file, line);
}

void lockdep_register_key(struct lock_class_key* key) { (void)key; }  // any address will do
void lockdep_unregister_key(struct lock_class_key* key) { lockdep::unregister_key(key); }

}  // extern "C"
