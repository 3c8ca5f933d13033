// include/cmwq/unique_function.hpp - a move-only `void()` callable (std::move_only_function is
// C++23). Used for closures handed to cmwq; allocation happens once, when it is built.
//
//   cmwq::unique_function<void()>  holds any move-constructible invocable taking no arguments.
#pragma once

#include <memory>
#include <new>
#include <type_traits>
#include <utility>

namespace cmwq {

template <class Sig>
class unique_function;

template <>
class unique_function<void()> {
 public:
  unique_function() = default;
  template <class F, class = std::enable_if_t<!std::is_same_v<std::decay_t<F>, unique_function>>>
  unique_function(F&& f) : impl_(new model<std::decay_t<F>>(std::forward<F>(f))) {}  // NOLINT: implicit by design
  unique_function(unique_function&&) noexcept = default;
  unique_function& operator=(unique_function&&) noexcept = default;

  void operator()() { impl_->call(); }
  explicit operator bool() const noexcept { return impl_ != nullptr; }

 private:
  struct concept_t {
    virtual ~concept_t() = default;
    virtual void call() = 0;
  };
  template <class F>
  struct model final : concept_t {
    explicit model(F&& f) : fn(std::move(f)) {}
    explicit model(const F& f) : fn(f) {}
    void call() override { fn(); }
    F fn;
  };
  std::unique_ptr<concept_t> impl_;
};

}  // namespace cmwq
