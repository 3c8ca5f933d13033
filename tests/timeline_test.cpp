// tests/timeline_test.cpp - the CMWQ_TRACE timeline: the file is valid JSON in the Chrome trace
// event format with one complete event per executed item (docs/observability.md, "Timeline").
//
// A small strict JSON parser below checks the whole file, so a stray comma or an unescaped
// character fails the test as it would fail Perfetto.
#include <signal.h>
#include <unistd.h>

#include <cctype>
#include <fstream>
#include <map>
#include <memory>
#include <sstream>
#include <string>
#include <variant>
#include <vector>

#include "child_run.hpp"
#include "test_support.hpp"

using namespace cmwq_test;

extern "C" void timeline_test_fn(struct work_struct*) {}

namespace {

// --- a strict JSON reader ---------------------------------------------------------------------------

struct json;
using json_object = std::map<std::string, json>;
using json_array = std::vector<json>;
struct json {
  std::variant<std::nullptr_t, bool, double, std::string, json_array, json_object> v;
  const json_object& obj() const { return std::get<json_object>(v); }
  const json_array& arr() const { return std::get<json_array>(v); }
  const std::string& str() const { return std::get<std::string>(v); }
  bool has(const std::string& k) const { return std::holds_alternative<json_object>(v) && obj().count(k); }
};

class json_reader {
 public:
  explicit json_reader(std::string text) : s_(std::move(text)) {}
  // Parses the whole text; false (with `error`) on any deviation from RFC 8259.
  bool parse(json& out, std::string& error) {
    try {
      out = value();
      ws();
      if (i_ != s_.size()) fail("trailing characters");
      return true;
    } catch (const std::runtime_error& e) {
      error = e.what();
      return false;
    }
  }

 private:
  [[noreturn]] void fail(const std::string& what) {
    throw std::runtime_error(what + " at offset " + std::to_string(i_));
  }
  void ws() {
    while (i_ < s_.size() && std::isspace(static_cast<unsigned char>(s_[i_]))) i_++;
  }
  char peek() { return i_ < s_.size() ? s_[i_] : '\0'; }
  void expect(char c) {
    if (peek() != c) fail(std::string("expected '") + c + "'");
    i_++;
  }
  json value() {
    ws();
    const char c = peek();
    if (c == '{') return object();
    if (c == '[') return array();
    if (c == '"') return json{string()};
    if (s_.compare(i_, 4, "true") == 0) return i_ += 4, json{true};
    if (s_.compare(i_, 5, "false") == 0) return i_ += 5, json{false};
    if (s_.compare(i_, 4, "null") == 0) return i_ += 4, json{nullptr};
    return number();
  }
  json object() {
    expect('{');
    json_object o;
    ws();
    if (peek() == '}') return i_++, json{o};
    for (;;) {
      ws();
      std::string k = string();
      ws();
      expect(':');
      o[k] = value();
      ws();
      if (peek() == ',') {
        i_++;
        continue;
      }
      expect('}');
      return json{o};
    }
  }
  json array() {
    expect('[');
    json_array a;
    ws();
    if (peek() == ']') return i_++, json{a};
    for (;;) {
      a.push_back(value());
      ws();
      if (peek() == ',') {
        i_++;
        continue;
      }
      expect(']');
      return json{a};
    }
  }
  std::string string() {
    expect('"');
    std::string out;
    for (;;) {
      if (i_ >= s_.size()) fail("unterminated string");
      const char c = s_[i_++];
      if (c == '"') return out;
      if (static_cast<unsigned char>(c) < 0x20) fail("control character in string");
      if (c != '\\') {
        out += c;
        continue;
      }
      const char e = s_[i_++];
      if (e == 'u') {
        for (int k = 0; k < 4; k++)
          if (!std::isxdigit(static_cast<unsigned char>(s_[i_ + static_cast<std::size_t>(k)]))) fail("bad \\u escape");
        i_ += 4;
        out += '?';
      } else if (std::string("\"\\/bfnrt").find(e) != std::string::npos) {
        out += e;
      } else {
        fail("bad escape");
      }
    }
  }
  json number() {
    const std::size_t start = i_;
    if (peek() == '-') i_++;
    if (!std::isdigit(static_cast<unsigned char>(peek()))) fail("unexpected character");
    while (std::isdigit(static_cast<unsigned char>(peek())) || peek() == '.' || peek() == 'e' || peek() == 'E' ||
           peek() == '+' || peek() == '-')
      i_++;
    return json{std::stod(s_.substr(start, i_ - start))};
  }
  std::string s_;
  std::size_t i_ = 0;
};

std::string read_file(const std::string& path) {
  std::ifstream in(path);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

struct trace_counts {
  int complete = 0;   // "ph":"X" events of timeline_test_fn
  int queued = 0;     // "ph":"i" queue events of timeline_test_fn
  int workers_named = 0;
  double dropped = -1;
  std::size_t events = 0;
};

// Parses `path` strictly and counts what the tests look for; fails the test on bad JSON.
trace_counts check_trace(const std::string& path) {
  trace_counts c;
  json doc;
  std::string err;
  const std::string text = read_file(path);
  EXPECT_TRUE(json_reader(text).parse(doc, err)) << path << ": " << err;
  if (!err.empty() || !doc.has("traceEvents")) return c;
  c.dropped = std::get<double>(doc.obj().at("otherData").obj().at("dropped_events").v);
  for (const json& e : doc.obj().at("traceEvents").arr()) {
    c.events++;
    const std::string& ph = e.obj().at("ph").str();
    const std::string& name = e.obj().at("name").str();
    EXPECT_TRUE(e.has("pid") && e.has("tid")) << name;
    if (ph == "M" && e.obj().at("args").obj().at("name").str().starts_with("kworker/")) c.workers_named++;
    if (ph == "X" && name == "timeline_test_fn") {
      c.complete++;
      EXPECT_TRUE(e.has("ts") && e.has("dur"));
      EXPECT_GE(std::get<double>(e.obj().at("dur").v), 0.0);
      EXPECT_EQ(e.obj().at("args").obj().at("workqueue").str(), "tl_queue");
    }
    if (ph == "i" && name == "queue timeline_test_fn") c.queued++;
  }
  return c;
}

std::string temp_path(const char* tag) {
  return "/tmp/cmwq_timeline_" + std::to_string(getpid()) + "_" + tag + ".json";
}

// Runs `n` items of timeline_test_fn on a fresh queue "tl_queue" and waits for them.
void run_items(int n) {
  struct workqueue_struct* wq = alloc_workqueue("tl_queue", WQ_UNBOUND, 4);
  ASSERT_NE(wq, nullptr);
  std::vector<work_struct> items(static_cast<std::size_t>(n));
  for (auto& w : items) {
    INIT_WORK(&w, timeline_test_fn);
    ASSERT_TRUE(queue_work(wq, &w));
  }
  flush_workqueue(wq);
  destroy_workqueue(wq);
}

TEST(timeline, one_complete_event_per_executed_item) {
  if (std::getenv("CMWQ_TRACE")) GTEST_SKIP() << "the parent run checks this";
  const std::string path = temp_path("calls");
  ASSERT_EQ(cmwq_trace_start(path.c_str(), 0), 0);
  run_items(50);
  cmwq_trace_stop();
  ASSERT_EQ(cmwq_trace_write(nullptr), 0);
  const trace_counts c = check_trace(path);
  EXPECT_EQ(c.complete, 50);
  EXPECT_EQ(c.queued, 50);
  EXPECT_GE(c.workers_named, 1);
  EXPECT_EQ(c.dropped, 0.0);
  std::remove(path.c_str());
}

TEST(timeline, the_ring_keeps_the_newest_events_only) {
  if (std::getenv("CMWQ_TRACE")) GTEST_SKIP() << "the parent run checks this";
  const std::string path = temp_path("ring");
  ASSERT_TRUE(cmwq::timeline::start(path, 16));
  run_items(100);
  cmwq::timeline::stop();
  ASSERT_EQ(cmwq::timeline::write(), 0);
  const trace_counts c = check_trace(path);
  EXPECT_LE(c.complete + c.queued, 16);
  EXPECT_GE(c.dropped, 200.0 - 16.0);
  std::remove(path.c_str());
}

TEST(timeline, sigusr2_writes_the_file) {
  if (std::getenv("CMWQ_TRACE")) GTEST_SKIP() << "the parent run checks this";
  const std::string path = temp_path("signal");
  std::remove(path.c_str());
  ASSERT_EQ(cmwq_trace_start(path.c_str(), 0), 0);
  run_items(3);
  ASSERT_EQ(kill(getpid(), SIGUSR2), 0);
  CMWQ_ASSERT_WITHIN(access(path.c_str(), F_OK) == 0, k_deadline);
  cmwq_trace_stop();
  cmwq_trace_write(nullptr);  // the last word: all three items, whatever the signal saw
  EXPECT_EQ(check_trace(path).complete, 3);
  std::remove(path.c_str());
}

TEST(timeline, bad_calls_are_refused) {
  EXPECT_EQ(cmwq_trace_start("", 0), -EINVAL);
  EXPECT_EQ(cmwq_trace_start(nullptr, 0), -EINVAL);
  EXPECT_FALSE(cmwq::timeline::start(""));
  EXPECT_LT(cmwq_trace_write("/nonexistent-dir/x.json"), 0);
}

// CMWQ_TRACE: the child records from start-up and writes the file as it exits.
TEST(timeline, env_records_from_start_and_writes_at_exit) {
  if (std::getenv("CMWQ_TRACE")) {
    // The parent set CMWQ_TRACE_EVENTS to garbage: a warning at start-up, and the default ring.
    EXPECT_EQ(cmwq_warn_count(), 1u);
    run_items(20);
    return;
  }
  const std::string path = temp_path("env");
  std::remove(path.c_str());
  setenv("CMWQ_TRACE_EVENTS", "lots", 1);
  const int rc = child_run::rerun_self("CMWQ_TRACE", path, "timeline.env_records_from_start_and_writes_at_exit");
  unsetenv("CMWQ_TRACE_EVENTS");
  ASSERT_EQ(rc, 0);
  const trace_counts c = check_trace(path);
  EXPECT_EQ(c.complete, 20);
  EXPECT_EQ(c.dropped, 0.0);
  std::remove(path.c_str());
}

}  // namespace
