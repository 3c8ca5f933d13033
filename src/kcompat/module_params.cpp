// src/kcompat/module_params.cpp - what module_init(), module_exit(), MODULE_*() and module_param()
// register, and the parsing of "name=value" parameters.
//
// Registration happens in constructors that run before main() (one per macro use), so everything
// here must work before any other static object of this library is initialised: the registry is
// a function-local static, built on first use.
//
// Parsing follows the kernel's kernel/params.c in behaviour: integers accept the bases of
// kstrtol (0x.. hex, 0.. octal) and must fit the type; bools accept 1/0, y/n, Y/N, on/off and
// true/false, and a bare name means true; charp stores a copy of the text.
#include <linux/module.h>

#include <cerrno>
#include <cinttypes>
#include <climits>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <deque>
#include <mutex>
#include <string>
#include <vector>

#include "core/warn.hpp"

namespace {

struct param {
  std::string name;
  void* value;
  cmwq_param_type type;
  unsigned int perm;
  std::string desc;
};

struct counter {
  std::string name;
  const atomic_long_t* value;
};

struct registry {
  std::mutex lock;
  std::vector<counter> counters;    // guarded by lock
  cmwq_module_info info{};
  std::string name;                 // storage behind info.name
  std::vector<param> params;        // guarded by lock
  std::deque<std::string> strings;  // charp values; a deque never moves its elements
};

registry& reg() {
  static registry* r = new registry;  // never destroyed: modules may read parameters at exit
  return *r;
}

const char* type_name(cmwq_param_type t) {
  switch (t) {
    case CMWQ_PARAM_TYPE_int: return "int";
    case CMWQ_PARAM_TYPE_uint: return "uint";
    case CMWQ_PARAM_TYPE_long: return "long";
    case CMWQ_PARAM_TYPE_ulong: return "ulong";
    case CMWQ_PARAM_TYPE_short: return "short";
    case CMWQ_PARAM_TYPE_ushort: return "ushort";
    case CMWQ_PARAM_TYPE_bool: return "bool";
    case CMWQ_PARAM_TYPE_invbool: return "invbool";
    case CMWQ_PARAM_TYPE_charp: return "charp";
  }
  return "?";
}

param* find(registry& r, const char* name) {
  for (param& p : r.params)
    if (p.name == name) return &p;
  return nullptr;
}

// kstrtobool(): the first character decides, "on"/"of(f)" look at the second.
bool parse_bool(const char* s, bool* out) {
  if (!s) {
    *out = true;
    return true;
  }
  switch (s[0]) {
    case 'y': case 'Y': case '1': case 't': case 'T':
      *out = true;
      return true;
    case 'n': case 'N': case '0': case 'f': case 'F':
      *out = false;
      return true;
    case 'o': case 'O':
      if (s[1] == 'n' || s[1] == 'N') {
        *out = true;
        return true;
      }
      if (s[1] == 'f' || s[1] == 'F') {
        *out = false;
        return true;
      }
      return false;
    default:
      return false;
  }
}

bool parse_signed(const char* s, long long lo, long long hi, long long* out) {
  if (!s || !*s) return false;
  errno = 0;
  char* end;
  long long v = std::strtoll(s, &end, 0);
  if (errno || *end || v < lo || v > hi) return false;
  *out = v;
  return true;
}

bool parse_unsigned(const char* s, unsigned long long hi, unsigned long long* out) {
  if (!s || !*s || *s == '-') return false;
  errno = 0;
  char* end;
  unsigned long long v = std::strtoull(s, &end, 0);
  if (errno || *end || v > hi) return false;
  *out = v;
  return true;
}

int set_value(registry& r, param& p, const char* s) {
  long long sv;
  unsigned long long uv;
  bool b;
  switch (p.type) {
    case CMWQ_PARAM_TYPE_int:
      if (!parse_signed(s, INT_MIN, INT_MAX, &sv)) return -EINVAL;
      *static_cast<int*>(p.value) = static_cast<int>(sv);
      return 0;
    case CMWQ_PARAM_TYPE_long:
      if (!parse_signed(s, LONG_MIN, LONG_MAX, &sv)) return -EINVAL;
      *static_cast<long*>(p.value) = static_cast<long>(sv);
      return 0;
    case CMWQ_PARAM_TYPE_short:
      if (!parse_signed(s, SHRT_MIN, SHRT_MAX, &sv)) return -EINVAL;
      *static_cast<short*>(p.value) = static_cast<short>(sv);
      return 0;
    case CMWQ_PARAM_TYPE_uint:
      if (!parse_unsigned(s, UINT_MAX, &uv)) return -EINVAL;
      *static_cast<unsigned int*>(p.value) = static_cast<unsigned int>(uv);
      return 0;
    case CMWQ_PARAM_TYPE_ulong:
      if (!parse_unsigned(s, ULONG_MAX, &uv)) return -EINVAL;
      *static_cast<unsigned long*>(p.value) = static_cast<unsigned long>(uv);
      return 0;
    case CMWQ_PARAM_TYPE_ushort:
      if (!parse_unsigned(s, USHRT_MAX, &uv)) return -EINVAL;
      *static_cast<unsigned short*>(p.value) = static_cast<unsigned short>(uv);
      return 0;
    case CMWQ_PARAM_TYPE_bool:
    case CMWQ_PARAM_TYPE_invbool:
      if (!parse_bool(s, &b)) return -EINVAL;
      *static_cast<bool*>(p.value) = p.type == CMWQ_PARAM_TYPE_bool ? b : !b;
      return 0;
    case CMWQ_PARAM_TYPE_charp:
      if (!s) return -EINVAL;
      r.strings.emplace_back(s);
      *static_cast<char**>(p.value) = r.strings.back().data();
      return 0;
  }
  return -EINVAL;
}

int format_value(const param& p, char* buf, std::size_t size) {
  switch (p.type) {
    case CMWQ_PARAM_TYPE_int: return std::snprintf(buf, size, "%d", *static_cast<int*>(p.value));
    case CMWQ_PARAM_TYPE_long: return std::snprintf(buf, size, "%ld", *static_cast<long*>(p.value));
    case CMWQ_PARAM_TYPE_short: return std::snprintf(buf, size, "%hd", *static_cast<short*>(p.value));
    case CMWQ_PARAM_TYPE_uint: return std::snprintf(buf, size, "%u", *static_cast<unsigned int*>(p.value));
    case CMWQ_PARAM_TYPE_ulong: return std::snprintf(buf, size, "%lu", *static_cast<unsigned long*>(p.value));
    case CMWQ_PARAM_TYPE_ushort: return std::snprintf(buf, size, "%hu", *static_cast<unsigned short*>(p.value));
    case CMWQ_PARAM_TYPE_bool: return std::snprintf(buf, size, "%c", *static_cast<bool*>(p.value) ? 'Y' : 'N');
    case CMWQ_PARAM_TYPE_invbool: return std::snprintf(buf, size, "%c", *static_cast<bool*>(p.value) ? 'N' : 'Y');
    case CMWQ_PARAM_TYPE_charp: {
      const char* s = *static_cast<char**>(p.value);
      return std::snprintf(buf, size, "%s", s ? s : "(null)");
    }
  }
  return std::snprintf(buf, size, "?");
}

// "path/to/tutorial.c" -> "tutorial"; dashes become underscores, as KBUILD_MODNAME does.
std::string module_name_of(const char* file) {
  const char* base = std::strrchr(file, '/');
  std::string name = base ? base + 1 : file;
  if (auto dot = name.rfind('.'); dot != std::string::npos && dot > 0) name.resize(dot);
  for (char& c : name)
    if (c == '-') c = '_';
  return name;
}

}  // namespace

extern "C" {

void cmwq_module_set_init(initcall_t fn, const char* file) {
  registry& r = reg();
  std::lock_guard<std::mutex> g(r.lock);
  if (r.info.init)
    cmwq::core::warn(__FILE__, __LINE__, __func__, "module_init() called twice (%s); the last one wins",
                     file ? file : "?");
  r.info.init = fn;
  r.name = module_name_of(file ? file : "module");
  r.info.name = r.name.c_str();
}

void cmwq_module_set_exit(exitcall_t fn, const char* file) {
  (void)file;
  registry& r = reg();
  std::lock_guard<std::mutex> g(r.lock);
  r.info.exit = fn;
}

void cmwq_module_set_info(const char* tag, const char* value) {
  registry& r = reg();
  std::lock_guard<std::mutex> g(r.lock);
  if (!std::strcmp(tag, "license"))
    r.info.license = value;
  else if (!std::strcmp(tag, "author"))
    r.info.author = value;
  else if (!std::strcmp(tag, "description"))
    r.info.description = value;
  else if (!std::strcmp(tag, "version"))
    r.info.version = value;
}

const struct cmwq_module_info* cmwq_module_get(void) { return &reg().info; }

void cmwq_module_report_counter(const char* name, const atomic_long_t* counter) {
  registry& r = reg();
  std::lock_guard<std::mutex> g(r.lock);
  r.counters.push_back({name ? name : "?", counter});
}

size_t cmwq_module_report_count(void) {
  registry& r = reg();
  std::lock_guard<std::mutex> g(r.lock);
  return r.counters.size();
}

int cmwq_module_report_get(size_t index, const char** name, long* value) {
  registry& r = reg();
  std::lock_guard<std::mutex> g(r.lock);
  if (index >= r.counters.size()) return -ENOENT;
  const counter& c = r.counters[index];
  if (name) *name = c.name.c_str();
  if (value) *value = __atomic_load_n(&c.value->counter, __ATOMIC_RELAXED);
  return 0;
}

void cmwq_module_param_register(const char* name, void* value, enum cmwq_param_type type, unsigned int perm) {
  registry& r = reg();
  std::lock_guard<std::mutex> g(r.lock);
  if (param* p = find(r, name)) {
    p->value = value;
    p->type = type;
    p->perm = perm;
    return;
  }
  r.params.push_back(param{name, value, type, perm, {}});
}

void cmwq_module_param_desc(const char* name, const char* desc) {
  registry& r = reg();
  std::lock_guard<std::mutex> g(r.lock);
  // MODULE_PARM_DESC may come before module_param in the file: keep the text either way.
  param* p = find(r, name);
  if (!p) {
    r.params.push_back(param{name, nullptr, CMWQ_PARAM_TYPE_int, 0, {}});
    p = &r.params.back();
  }
  p->desc = desc ? desc : "";
}

int cmwq_module_param_set(const char* name, const char* value) {
  registry& r = reg();
  std::lock_guard<std::mutex> g(r.lock);
  param* p = find(r, name);
  if (!p || !p->value) return -ENOENT;
  return set_value(r, *p, value);
}

size_t cmwq_module_param_count(void) {
  registry& r = reg();
  std::lock_guard<std::mutex> g(r.lock);
  std::size_t n = 0;
  for (const param& p : r.params)
    if (p.value) ++n;
  return n;
}

int cmwq_module_param_describe(size_t index, char* buf, size_t size) {
  registry& r = reg();
  std::lock_guard<std::mutex> g(r.lock);
  for (const param& p : r.params) {
    if (!p.value) continue;
    if (index-- != 0) continue;
    char value[256];
    format_value(p, value, sizeof value);
    if (p.desc.empty()) return std::snprintf(buf, size, "%s=%s (%s)", p.name.c_str(), value, type_name(p.type));
    return std::snprintf(buf, size, "%s=%s (%s): %s", p.name.c_str(), value, type_name(p.type), p.desc.c_str());
  }
  return -1;
}

}  // extern "C"
