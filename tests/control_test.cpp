// tests/control_test.cpp - the control socket and wqctl (docs/control.md): wqctl against this
// test process lists its queues, reads and changes max_active of a WQ_SYSFS queue (and the queue
// follows), refuses bad values, ordered and non-sysfs queues; peers of another uid are refused;
// a client that never reads cannot stall the server; stale sockets are removed.
#include <fcntl.h>
#include <pwd.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>

#include <cerrno>
#include <string>

#include "core/control_json.hpp"
#include "core/control_server.hpp"
#include "max_active_probe.hpp"
#include "test_support.hpp"

namespace {

using namespace cmwq_test;
using cmwq::core::json;

struct run_result {
  int status;
  std::string out;
};

// Runs wqctl with `args` (shell words), stdout and stderr together.
run_result wqctl(const std::string& args) {
  const std::string cmd = std::string(WQCTL_PATH) + " " + args + " 2>&1";
  FILE* p = popen(cmd.c_str(), "r");
  if (!p) return {-1, "popen failed"};
  std::string out;
  char buf[4096];
  while (std::size_t n = std::fread(buf, 1, sizeof buf, p)) out.append(buf, n);
  const int st = pclose(p);
  return {WIFEXITED(st) ? WEXITSTATUS(st) : -1, out};
}

std::string pid_str() { return std::to_string(getpid()); }

class Control : public ::testing::Test {
 protected:
  static void SetUpTestSuite() { ASSERT_EQ(cmwq_control_start(), 0); }
  static void TearDownTestSuite() { cmwq_control_stop(); }
};

struct wq_guard {
  workqueue_struct* wq;
  ~wq_guard() {
    if (wq) destroy_workqueue(wq);
  }
};

int connect_path(const std::string& path) {
  sockaddr_un addr{};
  addr.sun_family = AF_UNIX;
  std::snprintf(addr.sun_path, sizeof addr.sun_path, "%s", path.c_str());
  const int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
  timeval tv{10, 0};
  setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
  if (connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0) {
    close(fd);
    return -errno;
  }
  return fd;
}

std::string read_line(int fd) {
  std::string s;
  char c;
  while (recv(fd, &c, 1, 0) == 1 && c != '\n') s.push_back(c);
  return s;
}

TEST_F(Control, SocketIsPrivate) {
  const std::string path = cmwq::control::socket_path();
  ASSERT_FALSE(path.empty());
  struct stat st{};
  ASSERT_EQ(stat(path.c_str(), &st), 0);
  EXPECT_TRUE(S_ISSOCK(st.st_mode));
  EXPECT_EQ(st.st_mode & 0777, 0600u);
  const std::string dir = path.substr(0, path.rfind('/'));
  ASSERT_EQ(stat(dir.c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0700u);
  EXPECT_EQ(cmwq_control_start(), 0) << "a second start is a no-op";
}

TEST_F(Control, PsAndListShowThisProcessAndItsQueues) {
  wq_guard q{alloc_workqueue("ctl_listed", WQ_UNBOUND | WQ_SYSFS, 0)};
  const run_result ps = wqctl("ps");
  EXPECT_EQ(ps.status, 0) << ps.out;
  EXPECT_NE(ps.out.find(pid_str()), std::string::npos) << ps.out;
  const run_result list = wqctl("list " + pid_str());
  EXPECT_EQ(list.status, 0) << list.out;
  EXPECT_NE(list.out.find("ctl_listed"), std::string::npos) << list.out;
  EXPECT_NE(list.out.find("unbound,sysfs"), std::string::npos) << list.out;
}

TEST_F(Control, GetAndSetMaxActiveAndTheQueueFollows) {
  wq_guard q{alloc_workqueue("ctl_tuned", WQ_UNBOUND | WQ_SYSFS, 0)};
  run_result r = wqctl("get " + pid_str() + " ctl_tuned max_active");
  EXPECT_EQ(r.status, 0);
  EXPECT_EQ(r.out, "1024\n");
  r = wqctl("set " + pid_str() + " ctl_tuned max_active 1");
  ASSERT_EQ(r.status, 0) << r.out;
  EXPECT_EQ(wqctl("get " + pid_str() + " ctl_tuned max_active").out, "1\n");
  r = wqctl("get " + pid_str() + " ctl_tuned");
  EXPECT_NE(r.out.find("affinity_scope   default (cache_shard)"), std::string::npos) << r.out;

  expect_one_item_at_a_time(q.wq);
}

TEST_F(Control, BadValuesOrderedAndNonSysfsQueuesAreRefusedWithExit2) {
  wq_guard s{alloc_workqueue("ctl_strict", WQ_UNBOUND | WQ_SYSFS, 0)};
  wq_guard o{alloc_ordered_workqueue("ctl_ordered", WQ_SYSFS)};
  wq_guard p{alloc_workqueue("ctl_plain", WQ_UNBOUND, 0)};
  const std::string pid = pid_str();
  run_result r = wqctl("set " + pid + " ctl_strict max_active 0");
  EXPECT_EQ(r.status, 2);
  EXPECT_NE(r.out.find("invalid value '0' for max_active"), std::string::npos) << r.out;
  r = wqctl("set " + pid + " ctl_strict nice 20");
  EXPECT_EQ(r.status, 2);
  EXPECT_EQ(wqctl("get " + pid + " ctl_strict nice").out, "0\n");
  r = wqctl("set " + pid + " ctl_ordered max_active 4");
  EXPECT_EQ(r.status, 2);
  EXPECT_NE(r.out.find("read-only"), std::string::npos) << r.out;
  r = wqctl("set " + pid + " ctl_plain max_active 4");
  EXPECT_EQ(r.status, 2);
  EXPECT_NE(r.out.find("not a WQ_SYSFS workqueue"), std::string::npos) << r.out;
  r = wqctl("get " + pid + " no_such_queue");
  EXPECT_EQ(r.status, 2);
  EXPECT_EQ(wqctl("set " + pid + " ctl_strict").status, 2) << "usage error";
  EXPECT_EQ(wqctl("list 999999999").status, 1) << "a process without a socket";
}

TEST_F(Control, MonitorPipedPrintsPlainTables) {
  wq_guard q{alloc_workqueue("ctl_watched", WQ_UNBOUND, 0)};
  const run_result r = wqctl("monitor " + pid_str() + " -i 0.05 -n 2");
  EXPECT_EQ(r.status, 0) << r.out;
  EXPECT_EQ(r.out.find("\033["), std::string::npos) << "no terminal escapes when piped";
  std::size_t tables = 0;
  for (std::size_t at = r.out.find("total  infl"); at != std::string::npos; at = r.out.find("total  infl", at + 1))
    ++tables;
  EXPECT_EQ(tables, 2u) << r.out;
  EXPECT_NE(r.out.find("ctl_watched"), std::string::npos);
}

TEST_F(Control, WorkersAndDump) {
  const run_result w = wqctl("workers " + pid_str());
  EXPECT_EQ(w.status, 0);
  EXPECT_NE(w.out.find("worker threads:"), std::string::npos) << w.out;
  const run_result d = wqctl("dump " + pid_str());
  EXPECT_EQ(d.status, 0);
  EXPECT_NE(d.out.find("Showing busy workqueues and worker pools:"), std::string::npos) << d.out;
}

TEST_F(Control, ProtocolVersionAndMalformedRequests) {
  const int fd = connect_path(cmwq::control::socket_path());
  ASSERT_GE(fd, 0);
  const std::string reqs = "{\"version\":2,\"cmd\":\"list\"}\nnot json\n{\"version\":1,\"cmd\":\"bogus\"}\n";
  ASSERT_EQ(send(fd, reqs.data(), reqs.size(), MSG_NOSIGNAL), static_cast<ssize_t>(reqs.size()));
  auto r1 = json::parse(read_line(fd));
  auto r2 = json::parse(read_line(fd));
  auto r3 = json::parse(read_line(fd));
  close(fd);
  ASSERT_TRUE(r1 && r2 && r3);
  EXPECT_EQ(r1->get("errno").as_number(), EPROTO);
  EXPECT_EQ(r1->get("version").as_number(), 1);
  EXPECT_FALSE(r2->get("ok").as_bool());
  EXPECT_NE(r3->get("error").as_string().find("unknown command"), std::string::npos);
}

TEST_F(Control, AClientThatNeverReadsCannotStallTheServer) {
  const int slow = connect_path(cmwq::control::socket_path());
  ASSERT_GE(slow, 0);
  int small = 4096;
  setsockopt(slow, SOL_SOCKET, SO_RCVBUF, &small, sizeof small);
  fcntl(slow, F_SETFL, O_NONBLOCK);
  // Far more replies than the server buffers for one peer: it must drop us, not block.
  const std::string req = "{\"version\":1,\"cmd\":\"workers\"}\n";
  std::string burst;
  for (int i = 0; i < 2000; ++i) burst += req;
  bool dropped = false;
  const auto end = steady::now() + k_deadline;
  while (!dropped && steady::now() < end) {
    const ssize_t n = send(slow, burst.data(), burst.size(), MSG_NOSIGNAL);
    if (n < 0 && errno != EAGAIN) dropped = true;
    if (n < 0) std::this_thread::sleep_for(5ms);
    // Meanwhile another client is served at once.
    const run_result r = wqctl("get " + pid_str() + " / cpumask");
    ASSERT_EQ(r.status, 0) << r.out;
  }
  close(slow);
  EXPECT_TRUE(dropped) << "the server kept a peer that let replies pile up";
}

TEST_F(Control, PeerWithAnotherUidIsRefused) {
  if (geteuid() != 0) GTEST_SKIP() << "needs root to switch a child to another uid";
  const passwd* nobody = getpwnam("nobody");
  if (!nobody) GTEST_SKIP() << "no user 'nobody'";
  // A private runtime directory, so that opening its modes up below cannot disturb the other
  // test processes serving in the shared one.
  char runtime[] = "/tmp/cmwq_ctl_uid_XXXXXX";
  ASSERT_NE(mkdtemp(runtime), nullptr);
  const char* old_xdg = std::getenv("XDG_RUNTIME_DIR");
  const std::string saved = old_xdg ? old_xdg : "";
  cmwq_control_stop();
  setenv("XDG_RUNTIME_DIR", runtime, 1);
  ASSERT_EQ(cmwq_control_start(), 0);
  const std::string path = cmwq::control::socket_path();
  const std::string dir = path.substr(0, path.rfind('/'));
  // Open the modes up, so that only the SO_PEERCRED check stands in the way.
  ASSERT_EQ(chmod(runtime, 0711), 0);
  ASSERT_EQ(chmod(dir.c_str(), 0711), 0);
  ASSERT_EQ(chmod(path.c_str(), 0666), 0);
  const pid_t child = fork();
  if (child == 0) {
    if (setuid(nobody->pw_uid) != 0) _exit(3);
    const int fd = connect_path(path);
    if (fd < 0) _exit(4);
    const std::string req = "{\"version\":1,\"cmd\":\"list\"}\n";
    (void)!send(fd, req.data(), req.size(), MSG_NOSIGNAL);
    const std::string line = read_line(fd);
    _exit(line.find("permission denied") != std::string::npos && line.find("queues") == std::string::npos ? 0 : 5);
  }
  int st = 0;
  waitpid(child, &st, 0);
  cmwq_control_stop();
  rmdir(dir.c_str());
  rmdir(runtime);
  if (old_xdg)
    setenv("XDG_RUNTIME_DIR", saved.c_str(), 1);
  else
    unsetenv("XDG_RUNTIME_DIR");
  EXPECT_EQ(cmwq_control_start(), 0);
  ASSERT_TRUE(WIFEXITED(st));
  EXPECT_EQ(WEXITSTATUS(st), 0) << "3: setuid failed, 4: connect failed, 5: not refused";
}

TEST_F(Control, PsRemovesStaleSockets) {
  const pid_t dead = fork();
  if (dead == 0) _exit(0);
  waitpid(dead, nullptr, 0);
  const std::string path = cmwq::core::control_dir() + "/" + std::to_string(dead) + ".sock";
  const int fd = socket(AF_UNIX, SOCK_STREAM, 0);
  sockaddr_un addr{};
  addr.sun_family = AF_UNIX;
  std::snprintf(addr.sun_path, sizeof addr.sun_path, "%s", path.c_str());
  ASSERT_EQ(bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr), 0);
  close(fd);  // a socket file nobody listens on: what a crashed process leaves
  const run_result r = wqctl("ps");
  EXPECT_EQ(r.status, 0);
  EXPECT_EQ(access(path.c_str(), F_OK), -1) << "stale socket still there";
}

TEST(ControlEnv, ValueOtherThan0Or1WarnsAndServesNothing) {
  setenv("CMWQ_CONTROL", "yes", 1);
  log_capture log;
  const unsigned long before = cmwq_warn_count();
  cmwq::core::control_autostart_from_env();
  unsetenv("CMWQ_CONTROL");
  EXPECT_EQ(cmwq_warn_count(), before + 1);
  EXPECT_TRUE(log.contains("CMWQ_CONTROL=yes is neither 0 nor 1"));
  EXPECT_TRUE(cmwq::control::socket_path().empty());
}

TEST(ControlEnv, OneStartsTheServer) {
  setenv("CMWQ_CONTROL", "1", 1);
  cmwq::core::control_autostart_from_env();
  unsetenv("CMWQ_CONTROL");
  EXPECT_FALSE(cmwq::control::socket_path().empty());
  const run_result r = wqctl("list " + pid_str());
  EXPECT_EQ(r.status, 0) << r.out;
  cmwq::control::stop();
  EXPECT_TRUE(cmwq::control::socket_path().empty());
}

TEST(ControlJson, RoundTripAndStrictness) {
  auto v = json::parse(R"({"a":[1,2.5,"x\"y\u00e9"],"b":{"c":true,"d":null}})");
  ASSERT_TRUE(v);
  EXPECT_EQ(v->get("a").items().at(2).as_string(), "x\"y\xc3\xa9");
  EXPECT_EQ(v->dump(), "{\"a\":[1,2.5,\"x\\\"y\xc3\xa9\"],\"b\":{\"c\":true,\"d\":null}}");
  EXPECT_FALSE(json::parse("{\"a\":1} trailing"));
  EXPECT_FALSE(json::parse("{\"a\":}"));
  EXPECT_FALSE(json::parse(std::string(100, '[') + std::string(100, ']'))) << "nesting is capped";
  EXPECT_FALSE(json::parse("\"\\x\""));
}

}  // namespace
