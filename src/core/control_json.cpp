// src/core/control_json.cpp - a strict JSON reader and writer for the control protocol.
//
// The protocol exchanges one small object per line, so a recursive-descent parser over a
// string_view is enough: it refuses anything that is not JSON (trailing text, bad escapes,
// control characters in strings) rather than guessing, and caps nesting so that a hostile peer
// cannot exhaust the server's stack. \u escapes are decoded to UTF-8 (surrogate pairs included).
#include "control_json.hpp"

#include <cmath>
#include <cstdio>
#include <cstdlib>

namespace cmwq::core {

namespace {

constexpr int max_depth = 32;

void escape(std::string_view s, std::string* out) {
  out->push_back('"');
  for (const char c : s) {
    switch (c) {
      case '"': *out += "\\\""; break;
      case '\\': *out += "\\\\"; break;
      case '\n': *out += "\\n"; break;
      case '\t': *out += "\\t"; break;
      case '\r': *out += "\\r"; break;
      default:
        if (static_cast<unsigned char>(c) < 0x20) {
          char buf[8];
          std::snprintf(buf, sizeof buf, "\\u%04x", static_cast<unsigned>(c));
          *out += buf;
        } else {
          out->push_back(c);
        }
    }
  }
  out->push_back('"');
}

void put_utf8(unsigned cp, std::string* out) {
  if (cp < 0x80) {
    out->push_back(static_cast<char>(cp));
  } else if (cp < 0x800) {
    out->push_back(static_cast<char>(0xc0 | (cp >> 6)));
    out->push_back(static_cast<char>(0x80 | (cp & 0x3f)));
  } else if (cp < 0x10000) {
    out->push_back(static_cast<char>(0xe0 | (cp >> 12)));
    out->push_back(static_cast<char>(0x80 | ((cp >> 6) & 0x3f)));
    out->push_back(static_cast<char>(0x80 | (cp & 0x3f)));
  } else {
    out->push_back(static_cast<char>(0xf0 | (cp >> 18)));
    out->push_back(static_cast<char>(0x80 | ((cp >> 12) & 0x3f)));
    out->push_back(static_cast<char>(0x80 | ((cp >> 6) & 0x3f)));
    out->push_back(static_cast<char>(0x80 | (cp & 0x3f)));
  }
}

class parser {
 public:
  explicit parser(std::string_view t) : t_(t) {}
  std::optional<json> document() {
    json v;
    if (!value(&v, 0)) return std::nullopt;
    skip_ws();
    if (i_ != t_.size()) return std::nullopt;
    return v;
  }

 private:
  void skip_ws() {
    while (i_ < t_.size() && (t_[i_] == ' ' || t_[i_] == '\t' || t_[i_] == '\n' || t_[i_] == '\r')) ++i_;
  }
  bool literal(std::string_view word) {
    if (t_.substr(i_, word.size()) != word) return false;
    i_ += word.size();
    return true;
  }
  bool hex4(unsigned* out) {
    if (i_ + 4 > t_.size()) return false;
    unsigned v = 0;
    for (int k = 0; k < 4; ++k) {
      const char c = t_[i_++];
      v <<= 4;
      if (c >= '0' && c <= '9') v |= static_cast<unsigned>(c - '0');
      else if (c >= 'a' && c <= 'f') v |= static_cast<unsigned>(c - 'a' + 10);
      else if (c >= 'A' && c <= 'F') v |= static_cast<unsigned>(c - 'A' + 10);
      else return false;
    }
    *out = v;
    return true;
  }
  bool string(std::string* out) {
    if (i_ >= t_.size() || t_[i_] != '"') return false;
    ++i_;
    while (i_ < t_.size()) {
      const char c = t_[i_++];
      if (c == '"') return true;
      if (static_cast<unsigned char>(c) < 0x20) return false;
      if (c != '\\') {
        out->push_back(c);
        continue;
      }
      if (i_ >= t_.size()) return false;
      const char e = t_[i_++];
      switch (e) {
        case '"': case '\\': case '/': out->push_back(e); break;
        case 'b': out->push_back('\b'); break;
        case 'f': out->push_back('\f'); break;
        case 'n': out->push_back('\n'); break;
        case 'r': out->push_back('\r'); break;
        case 't': out->push_back('\t'); break;
        case 'u': {
          unsigned cp = 0;
          if (!hex4(&cp)) return false;
          if (cp >= 0xd800 && cp < 0xdc00) {
            unsigned lo = 0;
            if (!literal("\\u") || !hex4(&lo) || lo < 0xdc00 || lo >= 0xe000) return false;
            cp = 0x10000 + ((cp - 0xd800) << 10) + (lo - 0xdc00);
          }
          put_utf8(cp, out);
          break;
        }
        default: return false;
      }
    }
    return false;
  }
  bool number(json* out) {
    const std::size_t start = i_;
    while (i_ < t_.size() && std::string_view("+-0123456789.eE").find(t_[i_]) != std::string_view::npos) ++i_;
    const std::string text(t_.substr(start, i_ - start));
    if (text.empty()) return false;
    char* end = nullptr;
    const double v = std::strtod(text.c_str(), &end);
    if (*end || !std::isfinite(v)) return false;
    *out = json(v);
    return true;
  }
  bool value(json* out, int depth) {
    if (depth > max_depth) return false;
    skip_ws();
    if (i_ >= t_.size()) return false;
    const char c = t_[i_];
    if (c == '{') return object(out, depth);
    if (c == '[') return array(out, depth);
    if (c == '"') {
      std::string s;
      if (!string(&s)) return false;
      *out = json(std::move(s));
      return true;
    }
    if (literal("true")) { *out = json(true); return true; }
    if (literal("false")) { *out = json(false); return true; }
    if (literal("null")) { *out = json(); return true; }
    return number(out);
  }
  bool array(json* out, int depth) {
    ++i_;
    *out = json::array();
    skip_ws();
    if (i_ < t_.size() && t_[i_] == ']') { ++i_; return true; }
    for (;;) {
      json v;
      if (!value(&v, depth + 1)) return false;
      out->push(std::move(v));
      skip_ws();
      if (i_ >= t_.size()) return false;
      if (t_[i_] == ']') { ++i_; return true; }
      if (t_[i_++] != ',') return false;
    }
  }
  bool object(json* out, int depth) {
    ++i_;
    *out = json::object();
    skip_ws();
    if (i_ < t_.size() && t_[i_] == '}') { ++i_; return true; }
    for (;;) {
      skip_ws();
      std::string key;
      if (!string(&key)) return false;
      skip_ws();
      if (i_ >= t_.size() || t_[i_++] != ':') return false;
      json v;
      if (!value(&v, depth + 1)) return false;
      out->set(std::move(key), std::move(v));
      skip_ws();
      if (i_ >= t_.size()) return false;
      if (t_[i_] == '}') { ++i_; return true; }
      if (t_[i_++] != ',') return false;
    }
  }

  std::string_view t_;
  std::size_t i_ = 0;
};

}  // namespace

json& json::set(std::string key, json v) {
  for (auto& m : members_)
    if (m.first == key) {
      m.second = std::move(v);
      return *this;
    }
  members_.emplace_back(std::move(key), std::move(v));
  return *this;
}

const json& json::get(std::string_view key) const {
  static const json null_value;
  for (const auto& m : members_)
    if (m.first == key) return m.second;
  return null_value;
}

void json::dump_to(std::string* out) const {
  switch (kind_) {
    case kind::null: *out += "null"; break;
    case kind::boolean: *out += b_ ? "true" : "false"; break;
    case kind::number: {
      char buf[32];
      if (n_ == std::floor(n_) && std::fabs(n_) < 9.0e15)
        std::snprintf(buf, sizeof buf, "%.0f", n_);
      else
        std::snprintf(buf, sizeof buf, "%.17g", n_);
      *out += buf;
      break;
    }
    case kind::string: escape(s_, out); break;
    case kind::array:
      out->push_back('[');
      for (std::size_t k = 0; k < items_.size(); ++k) {
        if (k) out->push_back(',');
        items_[k].dump_to(out);
      }
      out->push_back(']');
      break;
    case kind::object:
      out->push_back('{');
      for (std::size_t k = 0; k < members_.size(); ++k) {
        if (k) out->push_back(',');
        escape(members_[k].first, out);
        out->push_back(':');
        members_[k].second.dump_to(out);
      }
      out->push_back('}');
      break;
  }
}

std::string json::dump() const {
  std::string s;
  dump_to(&s);
  return s;
}

std::optional<json> json::parse(std::string_view text) { return parser(text).document(); }

}  // namespace cmwq::core
