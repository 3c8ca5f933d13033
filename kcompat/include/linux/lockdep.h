/* SPDX-License-Identifier: MIT */
/*
 * linux/lockdep.h - the lock dependency validator (the kernel's lockdep) for kernel-style code.
 *
 *   struct lock_class_key, struct lockdep_map, STATIC_LOCKDEP_MAP_INIT(), lockdep_init_map(),
 *   lockdep_set_class(), lockdep_set_class_and_name(), lockdep_set_novalidate_class(),
 *   lockdep_register_key(), lockdep_unregister_key(), lock_map_acquire() and friends,
 *   lockdep_assert_held(), lockdep_assert_not_held(), lockdep_is_held(), might_lock(),
 *   cmwq_lockdep_enable(), cmwq_lockdep_enabled(), cmwq_lockdep_reset(), cmwq_lockdep_report_count().
 *
 * Off unless CMWQ_LOCKDEP=1 is in the environment at start-up or cmwq_lockdep_enable(true) is
 * called; off, every annotation costs one predictable branch. On, the kcompat mutexes and
 * spinlocks, work items and workqueues (flush, cancel, execution) and GFP_KERNEL allocations
 * (the fs_reclaim pseudo-lock) are validated and a possible deadlock is reported the first time
 * its lock order is seen, in the kernel's format: docs/lockdep.md explains how to read it.
 *
 * A lock class is the key's address (plus a subclass for the _nested() calls). mutex_init(),
 * spin_lock_init(), INIT_WORK() and friends give each call site its own static key; a lock whose
 * key is NULL (zero-initialised memory, lockdep_set_novalidate_class()) is not tracked. A key
 * must be static, or registered with lockdep_register_key() and unregistered before its memory
 * is freed (the kernel's rule).
 *
 * Locks in this header: any object with the fields cmwq_key and cmwq_name (struct mutex,
 * spinlock_t, struct lockdep_map) works with lockdep_set_class() and might_lock().
 */
#ifndef CMWQ_LINUX_LOCKDEP_H
#define CMWQ_LINUX_LOCKDEP_H

#include <linux/compiler.h>
#include <linux/types.h>

/* A class key: only its address matters. Static storage, or lockdep_register_key(). */
struct lock_class_key {
	char cmwq_unused;
};

/* A pseudo-lock (or the class part of a lock): layout shared with the engine's lockdep::map. */
struct lockdep_map {
	const void *cmwq_key;   /* lock class; NULL: not tracked */
	const char *cmwq_name;  /* class name printed in reports */
};

#define STATIC_LOCKDEP_MAP_INIT(_name, _key) { .cmwq_key = (_key), .cmwq_name = (_name) }

/* Read modes of lock_acquire(), as in the kernel. */
#define CMWQ_LOCKDEP_EXCLUSIVE 0
#define CMWQ_LOCKDEP_SHARED 1
#define CMWQ_LOCKDEP_RECURSIVE_READ 2

CMWQ_EXTERN_C_BEGIN

/* Non-zero while the validator is on (read it through cmwq_lockdep_active()). */
extern int cmwq_lockdep_on_flag;

/* cmwq_lockdep_enable - turn the validator on or off. Context: any; takes effect at once. */
void cmwq_lockdep_enable(bool on);
/* cmwq_lockdep_enabled - true while it is on (a limit reached turns it off). */
bool cmwq_lockdep_enabled(void);
/* cmwq_lockdep_reset - forget every class, dependency and report (tests start clean). */
void cmwq_lockdep_reset(void);
/* cmwq_lockdep_report_count - lockdep reports printed since start (each also a WARNING count). */
unsigned long cmwq_lockdep_report_count(void);

/**
 * cmwq_lock_acquire - lockdep's view of taking a lock
 * @instance: the lock object (what lockdep_assert_held() names)
 * @key: its class key (NULL: not tracked)
 * @name: class name for reports
 * @subclass: nesting level, 0 normally (the _nested() calls pass theirs)
 * @trylock: non-zero for a trylock that succeeded (recorded, never checked)
 * @read: CMWQ_LOCKDEP_EXCLUSIVE, _SHARED or _RECURSIVE_READ
 * Context: any. Call only when cmwq_lockdep_active(); the inline wrappers below do.
 */
void cmwq_lock_acquire(const void *instance, const void *key, const char *name, unsigned int subclass, int trylock,
		       int read);
/* cmwq_lock_release - lockdep's view of releasing @instance (out of order is fine). */
void cmwq_lock_release(const void *instance);
/* cmwq_lock_touch - acquire and release at once: "this may wait for whoever holds it". */
void cmwq_lock_touch(const void *instance, const void *key, const char *name, int read);
/* cmwq_lockdep_is_held - true if the calling thread holds @instance (false when lockdep is off). */
bool cmwq_lockdep_is_held(const void *instance);
void cmwq_lockdep_assert_held(const void *instance, const char *what, const char *file, int line);
void cmwq_lockdep_assert_not_held(const void *instance, const char *what, const char *file, int line);

/* lockdep_register_key - make a dynamically allocated @key usable. */
void lockdep_register_key(struct lock_class_key *key);
/* lockdep_unregister_key - forget @key's classes and dependencies; call before freeing it. */
void lockdep_unregister_key(struct lock_class_key *key);

CMWQ_EXTERN_C_END

static inline bool cmwq_lockdep_active(void)
{
	return __builtin_expect(__atomic_load_n(&cmwq_lockdep_on_flag, __ATOMIC_RELAXED), 0);
}

/* lockdep_init_map - name @lock's class and key. @subclass is ignored (pass it to acquire). */
static inline void lockdep_init_map(struct lockdep_map *lock, const char *name, struct lock_class_key *key,
				    int subclass)
{
	(void)subclass;
	lock->cmwq_key = key;
	lock->cmwq_name = name;
}

/* The class of any lock with cmwq_key/cmwq_name fields (mutex, spinlock, lockdep_map). */
#define lockdep_set_class(lock, key) lockdep_set_class_and_name(lock, key, #key)
#define lockdep_set_class_and_name(lock, key, name) \
	do { (lock)->cmwq_key = (key); (lock)->cmwq_name = (name); } while (0)
#define lockdep_set_novalidate_class(lock) do { (lock)->cmwq_key = NULL; } while (0)

static inline void lock_map_acquire(struct lockdep_map *map)
{
	if (cmwq_lockdep_active())
		cmwq_lock_acquire(map, map->cmwq_key, map->cmwq_name, 0, 0, CMWQ_LOCKDEP_EXCLUSIVE);
}
static inline void lock_map_acquire_read(struct lockdep_map *map)
{
	if (cmwq_lockdep_active())
		cmwq_lock_acquire(map, map->cmwq_key, map->cmwq_name, 0, 0, CMWQ_LOCKDEP_RECURSIVE_READ);
}
static inline void lock_map_acquire_tryread(struct lockdep_map *map)
{
	if (cmwq_lockdep_active())
		cmwq_lock_acquire(map, map->cmwq_key, map->cmwq_name, 0, 1, CMWQ_LOCKDEP_RECURSIVE_READ);
}
static inline void lock_map_release(struct lockdep_map *map)
{
	if (cmwq_lockdep_active())
		cmwq_lock_release(map);
}

/* lockdep_assert_held - WARN unless the caller holds @l. Nothing when lockdep is off. */
#define lockdep_assert_held(l) \
	do { if (cmwq_lockdep_active()) cmwq_lockdep_assert_held((l), #l, __FILE__, __LINE__); } while (0)
#define lockdep_assert_held_once(l) lockdep_assert_held(l)
#define lockdep_assert_held_write(l) lockdep_assert_held(l)
#define lockdep_assert_held_read(l) lockdep_assert_held(l)
/* lockdep_assert_not_held - WARN if the caller holds @l. */
#define lockdep_assert_not_held(l) \
	do { if (cmwq_lockdep_active()) cmwq_lockdep_assert_not_held((l), #l, __FILE__, __LINE__); } while (0)
/* lockdep_is_held - non-zero if the caller holds @l (always 1 when lockdep is off, as in the kernel). */
#define lockdep_is_held(l) (!cmwq_lockdep_active() || cmwq_lockdep_is_held(l))
/* might_lock - record that this path may take @l, without taking it. */
#define might_lock(l) \
	do { if (cmwq_lockdep_active()) cmwq_lock_touch((l), (l)->cmwq_key, (l)->cmwq_name, 0); } while (0)
#define might_lock_read(l) \
	do { if (cmwq_lockdep_active()) cmwq_lock_touch((l), (l)->cmwq_key, (l)->cmwq_name, 2); } while (0)
#define might_lock_nested(l, subclass) might_lock(l)

#endif /* CMWQ_LINUX_LOCKDEP_H */
