// src/core/work_private.hpp - the item's core-private calls: the other half of work.hpp, which
// is public to the doors. Defined in work.cpp.
#pragma once

#include "list.hpp"
#include "guards.hpp"
#include "work.hpp"

namespace cmwq::core {

// work_grab_pending - takes PENDING of @w from any pending state: off its queue's list (pool
// lock) or its timer (@is_dwork), or waits out a hand-off. The caller owns @w afterwards.
// Return: true if @w was pending.
bool work_grab_pending(work* w, bool is_dwork);
// move_linked_works - moves @w and the chain of LINKED items behind it (flush barriers) to the
// tail of @head. Context: the pool lock of both lists held (the lists are not annotated: the
// callers' REQUIRES say it).
void move_linked_works(work* w, list_node* head);
// work_executing_on_self(): engine.hpp.

}  // namespace cmwq::core
