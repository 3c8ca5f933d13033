/* SPDX-License-Identifier: MIT */
/*
 * linux/list.h - the kernel's intrusive doubly linked lists (struct list_head from linux/types.h)
 * and hash lists (struct hlist_head / hlist_node).
 *
 * A list is a circular chain through a head: an empty list's head points at itself. Entries
 * embed a struct list_head and are recovered with list_entry() (container_of()). Nothing here
 * locks or allocates; the caller serialises access to a list. list_del() poisons the entry's
 * pointers so that a use after removal faults; list_del_init() leaves it empty and reusable.
 *
 *   LIST_HEAD(), LIST_HEAD_INIT(), INIT_LIST_HEAD(), list_add(), list_add_tail(), list_del(),
 *   list_del_init(), list_replace(), list_replace_init(), list_move(), list_move_tail(),
 *   list_empty(), list_is_singular(), list_is_first(), list_is_last(), list_is_head(),
 *   list_splice(), list_splice_tail(), list_splice_init(), list_splice_tail_init(), list_cut_position(),
 *   list_rotate_left(), list_count_nodes(), list_entry(), list_first_entry(), list_last_entry(),
 *   list_first_entry_or_null(), list_next_entry(), list_prev_entry(), list_for_each(),
 *   list_for_each_safe(), list_for_each_entry(), list_for_each_entry_reverse(),
 *   list_for_each_entry_safe(), list_for_each_entry_continue(), list_for_each_entry_from();
 *   HLIST_HEAD(), INIT_HLIST_HEAD(), INIT_HLIST_NODE(), hlist_unhashed(), hlist_empty(),
 *   hlist_add_head(), hlist_del(), hlist_del_init(), hlist_entry(), hlist_for_each_entry(),
 *   hlist_for_each_entry_safe().
 */
#ifndef CMWQ_LINUX_LIST_H
#define CMWQ_LINUX_LIST_H

#include <linux/compiler.h>
#include <linux/kernel.h>
#include <linux/stddef.h>
#include <linux/types.h>

/* Addresses that fault, written into removed entries. */
#define LIST_POISON1 ((struct list_head *)(uintptr_t)0x100)
#define LIST_POISON2 ((struct list_head *)(uintptr_t)0x122)
#define HLIST_POISON1 ((struct hlist_node *)(uintptr_t)0x100)
#define HLIST_POISON2 ((struct hlist_node **)(uintptr_t)0x122)

#define LIST_HEAD_INIT(name) { &(name), &(name) }
#define LIST_HEAD(name) struct list_head name = LIST_HEAD_INIT(name)

static inline void INIT_LIST_HEAD(struct list_head *list)
{
	WRITE_ONCE(list->next, list);
	WRITE_ONCE(list->prev, list);
}

/* Links @entry between two known consecutive entries. */
static inline void cmwq_list_insert(struct list_head *entry, struct list_head *prev, struct list_head *next)
{
	next->prev = entry;
	entry->next = next;
	entry->prev = prev;
	WRITE_ONCE(prev->next, entry);
}

/* list_add - insert @entry right after @head (stack order). */
static inline void list_add(struct list_head *entry, struct list_head *head)
{
	cmwq_list_insert(entry, head, head->next);
}

/* list_add_tail - insert @entry right before @head, i.e. at the end of the list (queue order). */
static inline void list_add_tail(struct list_head *entry, struct list_head *head)
{
	cmwq_list_insert(entry, head->prev, head);
}

static inline void cmwq_list_unlink(struct list_head *entry)
{
	struct list_head *prev = entry->prev, *next = entry->next;

	next->prev = prev;
	WRITE_ONCE(prev->next, next);
}

/* list_del - unlink @entry and poison it; list_empty() on it is then undefined. */
static inline void list_del(struct list_head *entry)
{
	cmwq_list_unlink(entry);
	entry->next = LIST_POISON1;
	entry->prev = LIST_POISON2;
}

/* list_del_init - unlink @entry and make it an empty list of its own. */
static inline void list_del_init(struct list_head *entry)
{
	cmwq_list_unlink(entry);
	INIT_LIST_HEAD(entry);
}

/* list_replace - put @new_entry where @old is (@old's pointers are left stale). */
static inline void list_replace(struct list_head *old, struct list_head *new_entry)
{
	new_entry->next = old->next;
	new_entry->next->prev = new_entry;
	new_entry->prev = old->prev;
	new_entry->prev->next = new_entry;
}

static inline void list_replace_init(struct list_head *old, struct list_head *new_entry)
{
	list_replace(old, new_entry);
	INIT_LIST_HEAD(old);
}

/* list_move - remove @entry from its list and add it after @head. */
static inline void list_move(struct list_head *entry, struct list_head *head)
{
	cmwq_list_unlink(entry);
	list_add(entry, head);
}

/* list_move_tail - remove @entry from its list and add it before @head (at the end). */
static inline void list_move_tail(struct list_head *entry, struct list_head *head)
{
	cmwq_list_unlink(entry);
	list_add_tail(entry, head);
}

static inline bool list_empty(const struct list_head *head)
{
	return READ_ONCE(head->next) == head;
}

static inline bool list_is_head(const struct list_head *list, const struct list_head *head)
{
	return list == head;
}

static inline bool list_is_first(const struct list_head *list, const struct list_head *head)
{
	return list->prev == head;
}

static inline bool list_is_last(const struct list_head *list, const struct list_head *head)
{
	return list->next == head;
}

/* list_is_singular - true if the list has exactly one entry. */
static inline bool list_is_singular(const struct list_head *head)
{
	return !list_empty(head) && head->next == head->prev;
}

/* list_rotate_left - move the first entry to the end. */
static inline void list_rotate_left(struct list_head *head)
{
	if (!list_empty(head))
		list_move_tail(head->next, head);
}

static inline size_t list_count_nodes(const struct list_head *head)
{
	const struct list_head *pos;
	size_t count = 0;

	for (pos = head->next; pos != head; pos = pos->next)
		count++;
	return count;
}

/* Moves the entries of non-empty @list between @prev and @next; @list itself is left stale. */
static inline void cmwq_list_splice_between(const struct list_head *list, struct list_head *prev,
					    struct list_head *next)
{
	struct list_head *first = list->next, *last = list->prev;

	first->prev = prev;
	prev->next = first;
	last->next = next;
	next->prev = last;
}

/* list_splice - join @list at the front of @head; @list's head is left stale. */
static inline void list_splice(const struct list_head *list, struct list_head *head)
{
	if (!list_empty(list))
		cmwq_list_splice_between(list, head, head->next);
}

/* list_splice_tail - join @list at the end of @head; @list's head is left stale. */
static inline void list_splice_tail(struct list_head *list, struct list_head *head)
{
	if (!list_empty(list))
		cmwq_list_splice_between(list, head->prev, head);
}

/* list_splice_init - list_splice(), then make @list empty. */
static inline void list_splice_init(struct list_head *list, struct list_head *head)
{
	if (!list_empty(list)) {
		cmwq_list_splice_between(list, head, head->next);
		INIT_LIST_HEAD(list);
	}
}

/* list_splice_tail_init - list_splice_tail(), then make @list empty. */
static inline void list_splice_tail_init(struct list_head *list, struct list_head *head)
{
	if (!list_empty(list)) {
		cmwq_list_splice_between(list, head->prev, head);
		INIT_LIST_HEAD(list);
	}
}

/*
 * list_cut_position - move the entries of @head up to and including @entry to the empty (or
 * discarded) list @list. Nothing moves if @head is empty, or if @entry is @head (then @list
 * becomes empty).
 */
static inline void list_cut_position(struct list_head *list, struct list_head *head, struct list_head *entry)
{
	if (list_empty(head))
		return;
	if (entry == head) {
		INIT_LIST_HEAD(list);
		return;
	}
	list->next = head->next;
	list->next->prev = list;
	list->prev = entry;
	head->next = entry->next;
	head->next->prev = head;
	entry->next = list;
}

#define list_entry(ptr, type, member) container_of(ptr, type, member)
#define list_first_entry(ptr, type, member) list_entry((ptr)->next, type, member)
#define list_last_entry(ptr, type, member) list_entry((ptr)->prev, type, member)
#define list_first_entry_or_null(ptr, type, member)                                       \
	({                                                                                \
		struct list_head *cmwq_head = (ptr);                                      \
		struct list_head *cmwq_pos = READ_ONCE(cmwq_head->next);                  \
		cmwq_pos != cmwq_head ? list_entry(cmwq_pos, type, member) : (type *)NULL; \
	})
#define list_next_entry(pos, member) list_entry((pos)->member.next, __typeof__(*(pos)), member)
#define list_prev_entry(pos, member) list_entry((pos)->member.prev, __typeof__(*(pos)), member)
#define list_entry_is_head(pos, head, member) (&(pos)->member == (head))

#define list_for_each(pos, head) for ((pos) = (head)->next; (pos) != (head); (pos) = (pos)->next)
#define list_for_each_prev(pos, head) for ((pos) = (head)->prev; (pos) != (head); (pos) = (pos)->prev)
/* The _safe forms allow removing the current entry inside the loop. */
#define list_for_each_safe(pos, n, head) \
	for ((pos) = (head)->next, (n) = (pos)->next; (pos) != (head); (pos) = (n), (n) = (pos)->next)

#define list_for_each_entry(pos, head, member)                                    \
	for ((pos) = list_first_entry(head, __typeof__(*(pos)), member);          \
	     !list_entry_is_head(pos, head, member); (pos) = list_next_entry(pos, member))
#define list_for_each_entry_reverse(pos, head, member)                            \
	for ((pos) = list_last_entry(head, __typeof__(*(pos)), member);           \
	     !list_entry_is_head(pos, head, member); (pos) = list_prev_entry(pos, member))
#define list_for_each_entry_continue(pos, head, member)                           \
	for ((pos) = list_next_entry(pos, member); !list_entry_is_head(pos, head, member); \
	     (pos) = list_next_entry(pos, member))
#define list_for_each_entry_from(pos, head, member) \
	for (; !list_entry_is_head(pos, head, member); (pos) = list_next_entry(pos, member))
#define list_for_each_entry_safe(pos, n, head, member)                            \
	for ((pos) = list_first_entry(head, __typeof__(*(pos)), member),          \
	    (n) = list_next_entry(pos, member);                                   \
	     !list_entry_is_head(pos, head, member); (pos) = (n), (n) = list_next_entry(n, member))

/* ---- hash lists: a single-pointer head, for hash tables -------------------------------------- */

#define HLIST_HEAD_INIT { NULL }
#define HLIST_HEAD(name) struct hlist_head name = { NULL }
#define INIT_HLIST_HEAD(ptr) ((ptr)->first = NULL)

static inline void INIT_HLIST_NODE(struct hlist_node *h)
{
	h->next = NULL;
	h->pprev = NULL;
}

/* hlist_unhashed - true if @h is on no list (never added, or removed with hlist_del_init()). */
static inline bool hlist_unhashed(const struct hlist_node *h)
{
	return !h->pprev;
}

static inline bool hlist_empty(const struct hlist_head *h)
{
	return !READ_ONCE(h->first);
}

static inline void hlist_add_head(struct hlist_node *n, struct hlist_head *h)
{
	struct hlist_node *first = h->first;

	n->next = first;
	if (first)
		first->pprev = &n->next;
	WRITE_ONCE(h->first, n);
	n->pprev = &h->first;
}

static inline void cmwq_hlist_unlink(struct hlist_node *n)
{
	struct hlist_node *next = n->next;
	struct hlist_node **pprev = n->pprev;

	WRITE_ONCE(*pprev, next);
	if (next)
		next->pprev = pprev;
}

static inline void hlist_del(struct hlist_node *n)
{
	cmwq_hlist_unlink(n);
	n->next = HLIST_POISON1;
	n->pprev = HLIST_POISON2;
}

static inline void hlist_del_init(struct hlist_node *n)
{
	if (!hlist_unhashed(n)) {
		cmwq_hlist_unlink(n);
		INIT_HLIST_NODE(n);
	}
}

#define hlist_entry(ptr, type, member) container_of(ptr, type, member)
#define hlist_entry_safe(ptr, type, member)                                              \
	({                                                                               \
		struct hlist_node *cmwq_hnode = (ptr);                                   \
		cmwq_hnode ? hlist_entry(cmwq_hnode, type, member) : (type *)NULL;       \
	})
#define hlist_for_each_entry(pos, head, member)                                         \
	for ((pos) = hlist_entry_safe((head)->first, __typeof__(*(pos)), member); (pos); \
	     (pos) = hlist_entry_safe((pos)->member.next, __typeof__(*(pos)), member))
#define hlist_for_each_entry_safe(pos, n, head, member)                                 \
	for ((pos) = hlist_entry_safe((head)->first, __typeof__(*(pos)), member);       \
	     (pos) && ((n) = (pos)->member.next, 1);                                    \
	     (pos) = hlist_entry_safe((n), __typeof__(*(pos)), member))

#endif /* CMWQ_LINUX_LIST_H */
