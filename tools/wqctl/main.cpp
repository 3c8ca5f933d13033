// tools/wqctl/main.cpp - wqctl: see and steer the workqueues of running cmwq processes.
//
//   wqctl ps                          processes of this user serving a control socket
//   wqctl list PID                    the process's queues with flags, limits and counters
//   wqctl workers PID                 worker pools and their workers
//   wqctl dump PID                    show_all_workqueues() of the process
//   wqctl monitor PID [-i SECONDS] [-n COUNT]
//                                     a live table like the kernel's wq_monitor.py: redrawn in
//                                     place on a terminal, plain blocks of lines when piped
//   wqctl get PID WQ [ATTR]           WQ_SYSFS attributes of WQ ("/" = the global directory)
//   wqctl set PID WQ ATTR VALUE       write one (exit 2 with the reason when refused)
//
// Exit status: 0 done; 1 the process could not be reached or spoke nonsense; 2 a bad command
// line, or the process refused the request (bad value, read-only attribute, no such queue or a
// queue without WQ_SYSFS). The protocol is in docs/control.md; this tool is one client of it.
#include <signal.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <dirent.h>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "core/control_json.hpp"
#include "core/control_server.hpp"

namespace {

using cmwq::core::json;

constexpr int exit_unreachable = 1;
constexpr int exit_refused = 2;

int usage() {
  std::fputs(
      "usage: wqctl ps\n"
      "       wqctl list PID\n"
      "       wqctl workers PID\n"
      "       wqctl dump PID\n"
      "       wqctl monitor PID [-i SECONDS] [-n COUNT]\n"
      "       wqctl get PID WQ [ATTR]        (WQ \"/\": the global directory)\n"
      "       wqctl set PID WQ ATTR VALUE\n",
      stderr);
  return exit_refused;
}

// The directories a server of this user may serve in (docs/control.md).
std::vector<std::string> socket_dirs() {
  std::vector<std::string> dirs{cmwq::core::control_dir()};
  const std::string tmp = "/tmp/cmwq-" + std::to_string(geteuid());
  if (dirs[0] != tmp) dirs.push_back(tmp);
  return dirs;
}

// A connected socket to `path`, or -errno.
int connect_to(const std::string& path) {
  sockaddr_un addr{};
  if (path.size() >= sizeof addr.sun_path) return -ENAMETOOLONG;
  const int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return -errno;
  addr.sun_family = AF_UNIX;
  std::memcpy(addr.sun_path, path.c_str(), path.size() + 1);
  timeval tv{5, 0};
  setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
  setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv);
  if (connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0) {
    const int err = -errno;
    close(fd);
    return err;
  }
  return fd;
}

class connection {
 public:
  explicit connection(int fd) : fd_(fd) {}
  ~connection() { close(fd_); }
  connection(const connection&) = delete;
  connection& operator=(const connection&) = delete;

  // One request, one reply; nullopt (with a message on stderr) if the process did not answer.
  std::optional<json> call(json request) {
    request.set("version", cmwq::core::control_protocol_version);
    const std::string line = request.dump() + "\n";
    if (send(fd_, line.data(), line.size(), MSG_NOSIGNAL) != static_cast<ssize_t>(line.size())) {
      std::fprintf(stderr, "wqctl: sending failed: %s\n", std::strerror(errno));
      return std::nullopt;
    }
    for (;;) {
      const auto nl = buf_.find('\n');
      if (nl != std::string::npos) {
        auto reply = json::parse(std::string_view(buf_).substr(0, nl));
        buf_.erase(0, nl + 1);
        if (!reply || !reply->is_object()) std::fputs("wqctl: the process sent a malformed reply\n", stderr);
        return reply;
      }
      char chunk[4096];
      const ssize_t n = recv(fd_, chunk, sizeof chunk, 0);
      if (n <= 0) {
        std::fprintf(stderr, "wqctl: the process closed the connection%s%s\n", n < 0 ? ": " : "",
                     n < 0 ? std::strerror(errno) : "");
        return std::nullopt;
      }
      buf_.append(chunk, static_cast<std::size_t>(n));
    }
  }

 private:
  int fd_;
  std::string buf_;
};

std::optional<long> parse_pid(const char* s) {
  char* end = nullptr;
  const long pid = std::strtol(s, &end, 10);
  if (end == s || *end || pid <= 0) return std::nullopt;
  return pid;
}

// Connects to the process `pid_text`; on failure prints why and returns nullptr.
std::unique_ptr<connection> open_process(const char* pid_text) {
  const auto pid = parse_pid(pid_text);
  if (!pid) {
    std::fprintf(stderr, "wqctl: '%s' is not a process id\n", pid_text);
    return nullptr;
  }
  int err = -ENOENT;
  for (const std::string& dir : socket_dirs()) {
    const int fd = connect_to(dir + "/" + std::to_string(*pid) + ".sock");
    if (fd >= 0) return std::make_unique<connection>(fd);
    if (err == -ENOENT) err = fd;
  }
  std::fprintf(stderr, "wqctl: process %ld does not serve a control socket (%s); start it with CMWQ_CONTROL=1\n",
               *pid, std::strerror(-err));
  return nullptr;
}

// Prints a refused reply's reason; returns the exit status for it.
int refused(const json& reply) {
  std::fprintf(stderr, "wqctl: %s\n", reply.get("error").as_string().c_str());
  return exit_refused;
}

std::string num(const json& v) { return std::to_string(static_cast<long long>(v.as_number())); }

// --- commands ----------------------------------------------------------------------------------

int cmd_ps() {
  std::printf("%-8s %-16s %s\n", "PID", "COMM", "SOCKET");
  for (const std::string& dir : socket_dirs()) {
    DIR* d = opendir(dir.c_str());
    if (!d) continue;
    while (dirent* e = readdir(d)) {
      const std::string name = e->d_name;
      if (name.size() <= 5 || name.compare(name.size() - 5, 5, ".sock") != 0) continue;
      const std::string path = dir + "/" + name;
      const int fd = connect_to(path);
      if (fd == -ECONNREFUSED) {  // nobody listens: a process that died without cleaning up
        unlink(path.c_str());
        continue;
      }
      if (fd < 0) continue;
      connection c(fd);
      json req = json::object();
      req.set("cmd", "hello");
      const auto r = c.call(req);
      if (!r || !r->get("ok").as_bool()) continue;
      std::printf("%-8s %-16s %s\n", num(r->get("pid")).c_str(), r->get("comm").as_string().c_str(), path.c_str());
    }
    closedir(d);
  }
  return 0;
}

std::optional<json> simple_call(connection& c, const char* cmd) {
  json req = json::object();
  req.set("cmd", cmd);
  return c.call(req);
}

int cmd_list(connection& c) {
  const auto r = simple_call(c, "list");
  if (!r) return exit_unreachable;
  if (!r->get("ok").as_bool()) return refused(*r);
  std::printf("%-32s %-40s %6s %6s %8s %10s\n", "NAME", "FLAGS", "MAXACT", "ACTIVE", "INACTIVE", "TOTAL");
  for (const json& q : r->get("queues").items())
    std::printf("%-32s %-40s %6s %6s %8s %10s\n", q.get("name").as_string().c_str(), q.get("flags").as_string().c_str(),
                num(q.get("max_active")).c_str(), num(q.get("nr_active")).c_str(), num(q.get("nr_inactive")).c_str(),
                num(q.get("total")).c_str());
  return 0;
}

int cmd_workers(connection& c) {
  const auto r = simple_call(c, "workers");
  if (!r) return exit_unreachable;
  if (!r->get("ok").as_bool()) return refused(*r);
  std::printf("worker threads: %s created, %s exited\n", num(r->get("created")).c_str(), num(r->get("exited")).c_str());
  std::printf("%5s %5s %5s %8s %5s %8s  %s\n", "POOL", "CPU", "NICE", "WORKERS", "IDLE", "RUNNING", "CPUS");
  for (const json& p : r->get("pools").items())
    std::printf("%5s %5s %5s %8s %5s %8s  %s\n", num(p.get("id")).c_str(), num(p.get("cpu")).c_str(),
                num(p.get("nice")).c_str(), num(p.get("workers")).c_str(), num(p.get("idle")).c_str(),
                num(p.get("running")).c_str(), p.get("cpus").as_string().c_str());
  return 0;
}

int cmd_dump(connection& c) {
  const auto r = simple_call(c, "dump");
  if (!r) return exit_unreachable;
  if (!r->get("ok").as_bool()) return refused(*r);
  std::fputs(r->get("text").as_string().c_str(), stdout);
  return 0;
}

// One wq_monitor.py table: CMW/RPR is cm wake-ups for per-CPU queues, repatriations for
// unbound ones; mayday and rescued only mean something with WQ_MEM_RECLAIM.
void print_monitor_table(const json& reply) {
  std::printf("%-30s %8s %5s %8s %7s %7s %7s %7s\n", "", "total", "infl", "CPUtime", "CPUhog", "CMW/RPR", "mayday",
              "rescued");
  for (const json& q : reply.get("queues").items()) {
    const std::string flags = q.get("flags").as_string();
    const bool unbound = flags.find("unbound") != std::string::npos;
    const bool reclaim = flags.find("mem_reclaim") != std::string::npos;
    std::printf("%-30.30s %8s %5s %8.1f %7s %7s %7s %7s\n", q.get("name").as_string().c_str(), num(q.get("total")).c_str(),
                num(q.get("in_flight")).c_str(), q.get("cpu_time_us").as_number() / 1e6, num(q.get("cpu_hog")).c_str(),
                num(q.get(unbound ? "repatriated" : "cm_wakeup")).c_str(), reclaim ? num(q.get("mayday")).c_str() : "-",
                reclaim ? num(q.get("rescued")).c_str() : "-");
  }
}

volatile sig_atomic_t g_stop = 0;

int cmd_monitor(connection& c, const char* pid, double interval, long count) {
  const bool tty = isatty(STDOUT_FILENO);
  struct sigaction sa{};
  sa.sa_handler = [](int) { g_stop = 1; };
  sigaction(SIGINT, &sa, nullptr);
  sigaction(SIGTERM, &sa, nullptr);
  for (long round = 0; !g_stop && (count <= 0 || round < count); ++round) {
    const auto r = simple_call(c, "list");
    if (!r) return exit_unreachable;
    if (!r->get("ok").as_bool()) return refused(*r);
    char stamp[32];
    const time_t now = time(nullptr);
    strftime(stamp, sizeof stamp, "%H:%M:%S", localtime(&now));
    if (tty) std::fputs("\033[H\033[J", stdout);  // home, clear: redraw in place
    std::printf("wqctl monitor %s  %s  (every %.3gs%s)\n", pid, stamp, interval, tty ? ", Ctrl-C quits" : "");
    print_monitor_table(*r);
    if (!tty) std::putchar('\n');
    std::fflush(stdout);
    if (count > 0 && round + 1 >= count) break;
    timespec ts{static_cast<time_t>(interval), static_cast<long>((interval - static_cast<long>(interval)) * 1e9)};
    while (!g_stop && nanosleep(&ts, &ts) != 0 && errno == EINTR) {
    }
  }
  return 0;
}

std::string queue_arg(const char* wq) { return std::strcmp(wq, "/") == 0 ? std::string() : std::string(wq); }

int cmd_get(connection& c, const char* wq, const char* attr) {
  json req = json::object();
  req.set("cmd", "get").set("wq", queue_arg(wq));
  if (attr) req.set("attr", attr);
  const auto r = c.call(req);
  if (!r) return exit_unreachable;
  if (!r->get("ok").as_bool()) return refused(*r);
  for (const auto& [name, value] : r->get("attrs").members()) {
    if (attr)
      std::printf("%s\n", value.as_string().c_str());
    else
      std::printf("%-16s %s\n", name.c_str(), value.as_string().c_str());
  }
  return 0;
}

int cmd_set(connection& c, const char* wq, const char* attr, const char* value) {
  json req = json::object();
  req.set("cmd", "set").set("wq", queue_arg(wq)).set("attr", attr).set("value", value);
  const auto r = c.call(req);
  if (!r) return exit_unreachable;
  if (!r->get("ok").as_bool()) return refused(*r);
  return 0;
}

// Parses monitor's -i SECONDS and -n COUNT after the PID. Returns false on a bad option.
bool monitor_options(int argc, char** argv, double* interval, long* count) {
  for (int k = 3; k < argc; k += 2) {
    if (k + 1 >= argc) return false;
    char* end = nullptr;
    if (std::strcmp(argv[k], "-i") == 0) {
      *interval = std::strtod(argv[k + 1], &end);
      if (*end || !(*interval > 0) || *interval > 86400) return false;
    } else if (std::strcmp(argv[k], "-n") == 0) {
      *count = std::strtol(argv[k + 1], &end, 10);
      if (*end || *count <= 0) return false;
    } else {
      return false;
    }
  }
  return true;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 2) return usage();
  const std::string cmd = argv[1];
  if (cmd == "ps") return argc == 2 ? cmd_ps() : usage();
  if (argc < 3) return usage();
  double interval = 1.0;
  long count = 0;
  const bool ok_args = (cmd == "list" || cmd == "workers" || cmd == "dump") ? argc == 3
                       : cmd == "monitor"                                   ? monitor_options(argc, argv, &interval, &count)
                       : cmd == "get"                                       ? (argc == 4 || argc == 5)
                       : cmd == "set"                                       ? argc == 6
                                                                            : false;
  if (!ok_args) return usage();
  const auto conn = open_process(argv[2]);
  if (!conn) return exit_unreachable;
  if (cmd == "list") return cmd_list(*conn);
  if (cmd == "workers") return cmd_workers(*conn);
  if (cmd == "dump") return cmd_dump(*conn);
  if (cmd == "monitor") return cmd_monitor(*conn, argv[2], interval, count);
  if (cmd == "get") return cmd_get(*conn, argv[3], argc == 5 ? argv[4] : nullptr);
  return cmd_set(*conn, argv[3], argv[4], argv[5]);
}
