// tests/errors_support.hpp - helpers shared by the tests behind docs/errors.md (errors_test.cpp
// for the C API, errors_cxx_test.cpp for the C++ API).
//
//   expect_one_warning(text, call)          exactly one new counted WARNING (D4), its line has `text`
//   expect_log_without_warning(text, call)  a log line with `text` (a printk, not a WARN)
//   expect_no_warning(call)                 no new WARNING at all
//   named_call                              a call and its name, for "every one of these calls" tables
//
// Each expectation captures the log only while `call` runs (the hook is process-wide: do not
// hold another capi::log_capture around it).
#pragma once

#include <functional>
#include <string>

#include "capi_support.hpp"

namespace errors {

template <class F>
void expect_one_warning(const std::string& text, F&& call) {
  capi::log_capture log;
  const unsigned long before = cmwq_warn_count();
  call();
  EXPECT_EQ(cmwq_warn_count() - before, 1ul) << "expected one WARNING with: " << text;
  EXPECT_EQ(log.count("WARNING:", text), 1) << "no WARNING line with: " << text;
}

template <class F>
void expect_log_without_warning(const std::string& text, F&& call) {
  capi::log_capture log;
  const unsigned long before = cmwq_warn_count();
  call();
  EXPECT_EQ(cmwq_warn_count(), before) << "a log line, not a WARNING, was expected: " << text;
  EXPECT_EQ(log.count(text), 1) << "no log line with: " << text;
}

template <class F>
void expect_no_warning(F&& call) {
  const unsigned long before = cmwq_warn_count();
  call();
  EXPECT_EQ(cmwq_warn_count(), before);
}

struct named_call {
  const char* name;
  std::function<void()> call;
};

}  // namespace errors
