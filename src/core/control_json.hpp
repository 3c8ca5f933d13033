// src/core/control_json.hpp - the little JSON the control protocol needs (docs/control.md).
//
//   cmwq::core::json          a parsed value: null, bool, number, string, array or object.
//   cmwq::core::json::parse() one line of JSON text into a value (strict; no comments).
//   cmwq::core::json::dump()  a value as one line of JSON text (no newline).
//
// Shared by the control server (src/core/control_*.cpp) and wqctl (tools/wqctl). Numbers are
// doubles, enough for the counters shown (exact below 2^53). Objects keep insertion order so
// that replies read the same every time.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace cmwq::core {

class json {
 public:
  enum class kind { null, boolean, number, string, array, object };

  json() = default;
  json(bool b) : kind_(kind::boolean), b_(b) {}                   // NOLINT: implicit by design
  json(int n) : kind_(kind::number), n_(n) {}                     // NOLINT
  json(long n) : kind_(kind::number), n_(static_cast<double>(n)) {}  // NOLINT
  json(unsigned long long n) : kind_(kind::number), n_(static_cast<double>(n)) {}  // NOLINT
  json(unsigned long n) : kind_(kind::number), n_(static_cast<double>(n)) {}  // NOLINT
  json(double n) : kind_(kind::number), n_(n) {}                  // NOLINT
  json(const char* s) : kind_(kind::string), s_(s) {}             // NOLINT
  json(std::string s) : kind_(kind::string), s_(std::move(s)) {}  // NOLINT
  static json array() { json j; j.kind_ = kind::array; return j; }
  static json object() { json j; j.kind_ = kind::object; return j; }

  kind type() const { return kind_; }
  bool is_object() const { return kind_ == kind::object; }
  bool as_bool() const { return kind_ == kind::boolean && b_; }
  double as_number(double dflt = 0) const { return kind_ == kind::number ? n_ : dflt; }
  const std::string& as_string() const { return s_; }
  bool is_string() const { return kind_ == kind::string; }

  // Arrays.
  json& push(json v) { items_.push_back(std::move(v)); return *this; }
  const std::vector<json>& items() const { return items_; }
  // Objects: set() replaces an existing key; get() returns null for a missing one.
  json& set(std::string key, json v);
  const json& get(std::string_view key) const;
  const std::vector<std::pair<std::string, json>>& members() const { return members_; }

  std::string dump() const;
  static std::optional<json> parse(std::string_view text);

 private:
  void dump_to(std::string* out) const;
  kind kind_ = kind::null;
  bool b_ = false;
  double n_ = 0;
  std::string s_;
  std::vector<json> items_;
  std::vector<std::pair<std::string, json>> members_;
};

}  // namespace cmwq::core
