// src/core/list.hpp - the intrusive circular doubly linked list of the kernel (struct list_head).
//
// Layout-compatible with the kernel-style C `struct list_head { next, prev; }` so that a
// `struct work_struct` from C code can be linked by the engine without translation.
#pragma once

#include <cstddef>

namespace cmwq::core {

struct list_node {
  list_node* next;
  list_node* prev;
};

inline void list_init(list_node* h) { h->next = h->prev = h; }
inline bool list_empty(const list_node* h) { return h->next == h; }

inline void list_insert_between(list_node* n, list_node* prev, list_node* next) {
  next->prev = n;
  n->next = next;
  n->prev = prev;
  prev->next = n;
}
// Inserts n right after pos.
inline void list_add(list_node* n, list_node* pos) { list_insert_between(n, pos, pos->next); }
// Inserts n before pos (at the tail when pos is the head).
inline void list_add_tail(list_node* n, list_node* pos) { list_insert_between(n, pos->prev, pos); }
inline void list_del_init(list_node* n) {
  n->prev->next = n->next;
  n->next->prev = n->prev;
  list_init(n);
}
inline void list_move_tail(list_node* n, list_node* head) {
  n->prev->next = n->next;
  n->next->prev = n->prev;
  list_add_tail(n, head);
}

// A list node that knows its owner, for types that are not standard-layout (offsetof would be
// invalid there). The node is the first member, so a list_node* converts back safely.
template <class T>
struct owned_node {
  list_node node;
  T* owner;
};
template <class T>
T* owner_of(list_node* n) {
  return reinterpret_cast<owned_node<T>*>(n)->owner;
}

// The object that embeds the node at byte `offset` (use offsetof on a standard-layout type).
template <class T>
T* container_of(list_node* n, std::size_t offset) {
  return reinterpret_cast<T*>(reinterpret_cast<char*>(n) - offset);
}

}  // namespace cmwq::core
