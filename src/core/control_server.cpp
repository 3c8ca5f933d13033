// src/core/control_server.cpp - the control socket's server thread.
//
// The problem: a tool must be able to look at and tune a running process without ever slowing
// or stalling it, even when the tool is slow, stuck or hostile. The approach: one thread, started
// on request, owns a non-blocking listening socket and every connection, and multiplexes them
// with poll(). It reads whole lines, answers each with control_handle() (which takes engine locks
// only for short snapshots, never across I/O) and queues the reply in a per-connection buffer
// that drains as the peer reads. A peer that sends a line longer than max_line, or sends another
// request while more than max_pending bytes of replies wait unread, is disconnected; at most
// max_clients are served at once. Nothing in the engine ever waits for this thread.
//
// Trust: the directory is 0700 and ours, the socket 0600, and each accepted peer must have our
// uid (SO_PEERCRED) or it gets one error line and is closed. Stale sockets (a pid that no longer
// exists) are removed when a server starts, and by wqctl; ours is removed by control_stop() and at
// exit, and only by the process that made it (a forked child never serves and never removes it).
#include "control_server.hpp"

#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <dirent.h>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "warn.hpp"

namespace cmwq::core {

namespace {

constexpr std::size_t max_line = 64 * 1024;
constexpr std::size_t max_pending = 1024 * 1024;
constexpr std::size_t max_clients = 32;

struct client {
  int fd;
  std::string in;
  std::string out;
};

struct server_state {
  std::mutex lock;                 // CT: start/stop and the fields below
  std::thread* thread = nullptr;   // CT: leaked, not joined, in a forked child (it has no thread)
  int listen_fd = -1;              // CT (the thread reads it while running)
  int wake_fd = -1;                // CT: eventfd that tells the thread to stop
  pid_t owner = 0;                 // CT: the process that made the socket
  std::string path;                // CT
  bool atexit_registered = false;  // CT
};

server_state& state() {
  static auto* s = new server_state;  // never freed: the atexit hook uses it
  return *s;
}

bool peer_is_us(int fd) {
  ucred cred{};
  socklen_t len = sizeof cred;
  return getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &cred, &len) == 0 && cred.uid == geteuid();
}

std::string error_line(int err, const std::string& msg) {
  json r = json::object();
  r.set("version", control_protocol_version).set("ok", false).set("errno", err).set("error", msg);
  return r.dump() + "\n";
}

// Answers every complete line in c.in. Returns false if the peer must be dropped.
bool serve_lines(client& c) {
  for (;;) {
    const auto nl = c.in.find('\n');
    if (nl == std::string::npos) return c.in.size() <= max_line;
    // A peer that asks again while over max_pending of earlier replies is still unread is not
    // reading: drop it. One reply may be larger (a big dump) without harm.
    if (c.out.size() > max_pending) return false;
    const std::string line = c.in.substr(0, nl);
    c.in.erase(0, nl + 1);
    if (line.empty()) continue;
    const auto req = json::parse(line);
    c.out += req ? control_handle(*req).dump() + "\n" : error_line(EINVAL, "malformed request: not one JSON object");
  }
}

bool read_from(client& c) {
  char buf[4096];
  for (;;) {
    const ssize_t n = read(c.fd, buf, sizeof buf);
    if (n > 0) {
      c.in.append(buf, static_cast<std::size_t>(n));
      if (!serve_lines(c)) return false;
      continue;
    }
    if (n == 0) return false;
    return errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR;
  }
}

bool write_to(client& c) {
  while (!c.out.empty()) {
    const ssize_t n = send(c.fd, c.out.data(), c.out.size(), MSG_NOSIGNAL | MSG_DONTWAIT);
    if (n > 0) {
      c.out.erase(0, static_cast<std::size_t>(n));
      continue;
    }
    return n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR);
  }
  return true;
}

void accept_clients(int listen_fd, std::vector<client>& clients) {
  for (;;) {
    const int fd = accept4(listen_fd, nullptr, nullptr, SOCK_NONBLOCK | SOCK_CLOEXEC);
    if (fd < 0) return;
    if (!peer_is_us(fd)) {
      const std::string e = error_line(EACCES, "permission denied: the peer's uid is not the server's");
      (void)!send(fd, e.data(), e.size(), MSG_NOSIGNAL | MSG_DONTWAIT);
      close(fd);
      continue;
    }
    if (clients.size() >= max_clients) {
      const std::string e = error_line(EBUSY, "too many connections");
      (void)!send(fd, e.data(), e.size(), MSG_NOSIGNAL | MSG_DONTWAIT);
      close(fd);
      continue;
    }
    clients.push_back({fd, {}, {}});
  }
}

void serve(int listen_fd, int wake_fd) {
  std::vector<client> clients;
  std::vector<pollfd> fds;
  for (;;) {
    fds.assign({{wake_fd, POLLIN, 0}, {listen_fd, POLLIN, 0}});
    for (const client& c : clients)
      fds.push_back({c.fd, static_cast<short>(POLLIN | (c.out.empty() ? 0 : POLLOUT)), 0});
    if (poll(fds.data(), fds.size(), -1) < 0 && errno != EINTR) break;
    if (fds[0].revents) break;
    if (fds[1].revents & POLLIN) accept_clients(listen_fd, clients);
    for (std::size_t k = 0; k + 2 < fds.size(); ++k) {
      client& c = clients[k];
      const short ev = fds[k + 2].revents;
      bool keep = true;
      if (ev & (POLLIN | POLLHUP | POLLERR)) keep = read_from(c);
      if (keep && !c.out.empty()) keep = write_to(c);
      if (!keep) {
        close(c.fd);
        c.fd = -1;
      }
    }
    std::erase_if(clients, [](const client& c) { return c.fd < 0; });
  }
  for (client& c : clients) close(c.fd);
}

bool pid_alive(long pid) { return pid > 0 && (kill(static_cast<pid_t>(pid), 0) == 0 || errno == EPERM); }

// Removes <pid>.sock files of processes that no longer exist.
void remove_stale_sockets(const std::string& dir) {
  DIR* d = opendir(dir.c_str());
  if (!d) return;
  while (dirent* e = readdir(d)) {
    char* end = nullptr;
    const long pid = std::strtol(e->d_name, &end, 10);
    if (end == e->d_name || std::strcmp(end, ".sock") != 0 || pid_alive(pid)) continue;
    unlinkat(dirfd(d), e->d_name, 0);
  }
  closedir(d);
}

void unlink_at_exit() {
  server_state& s = state();
  std::lock_guard<std::mutex> g(s.lock);
  if (!s.path.empty() && s.owner == getpid()) unlink(s.path.c_str());
}

int open_listener(const std::string& path) {
  sockaddr_un addr{};
  if (path.size() >= sizeof addr.sun_path) return -ENAMETOOLONG;
  const int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  if (fd < 0) return -errno;
  addr.sun_family = AF_UNIX;
  std::memcpy(addr.sun_path, path.c_str(), path.size() + 1);
  unlink(path.c_str());  // a socket of an earlier process with our pid is stale by definition
  if (bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0 || chmod(path.c_str(), 0600) != 0 ||
      listen(fd, 16) != 0) {
    const int err = -errno;
    close(fd);
    unlink(path.c_str());
    return err;
  }
  return fd;
}

}  // namespace

std::string control_dir() {
  const char* xdg = std::getenv("XDG_RUNTIME_DIR");
  struct stat st{};
  if (xdg && *xdg == '/' && stat(xdg, &st) == 0 && S_ISDIR(st.st_mode)) return std::string(xdg) + "/cmwq";
  return "/tmp/cmwq-" + std::to_string(geteuid());
}

int control_prepare_dir(const std::string& dir) noexcept {
  if (mkdir(dir.c_str(), 0700) != 0 && errno != EEXIST) return -errno;
  struct stat st{};
  if (lstat(dir.c_str(), &st) != 0) return -errno;
  if (!S_ISDIR(st.st_mode) || st.st_uid != geteuid() || (st.st_mode & 077) != 0) return -EPERM;
  return 0;
}

std::string control_socket_path() {
  server_state& s = state();
  std::lock_guard<std::mutex> g(s.lock);
  return s.owner == getpid() ? s.path : std::string();
}

int control_start() noexcept {
  server_state& s = state();
  std::lock_guard<std::mutex> g(s.lock);
  if (s.owner == getpid() && s.listen_fd >= 0) return 0;
  if (s.owner != getpid() && s.listen_fd >= 0) {  // a forked child: drop the parent's server state
    close(s.listen_fd);
    close(s.wake_fd);
    s.listen_fd = s.wake_fd = -1;
    s.thread = nullptr;
    s.path.clear();
  }
  const std::string dir = control_dir();
  if (const int err = control_prepare_dir(dir)) return err;
  remove_stale_sockets(dir);
  const std::string path = dir + "/" + std::to_string(getpid()) + ".sock";
  const int fd = open_listener(path);
  if (fd < 0) return fd;
  const int wake = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
  if (wake < 0) {
    close(fd);
    unlink(path.c_str());
    return -errno;
  }
  // The server thread must never take a signal meant for the program: start it with all blocked.
  sigset_t all, old;
  sigfillset(&all);
  pthread_sigmask(SIG_BLOCK, &all, &old);
  try {
    s.thread = new std::thread([fd, wake] {
      pthread_setname_np(pthread_self(), "cmwq-control");
      serve(fd, wake);
    });
  } catch (...) {
    pthread_sigmask(SIG_SETMASK, &old, nullptr);
    close(fd);
    close(wake);
    unlink(path.c_str());
    return -EAGAIN;
  }
  pthread_sigmask(SIG_SETMASK, &old, nullptr);
  s.listen_fd = fd;
  s.wake_fd = wake;
  s.path = path;
  s.owner = getpid();
  if (!s.atexit_registered) s.atexit_registered = std::atexit(unlink_at_exit) == 0;
  return 0;
}

void control_stop() noexcept {
  server_state& s = state();
  std::lock_guard<std::mutex> g(s.lock);
  if (s.owner != getpid() || s.listen_fd < 0) return;
  const std::uint64_t one = 1;
  (void)!write(s.wake_fd, &one, sizeof one);
  s.thread->join();
  delete s.thread;
  s.thread = nullptr;
  close(s.listen_fd);
  close(s.wake_fd);
  unlink(s.path.c_str());
  s.listen_fd = s.wake_fd = -1;
  s.path.clear();
}

void control_autostart_from_env() noexcept {
  const char* v = std::getenv("CMWQ_CONTROL");
  if (!v || !*v || std::strcmp(v, "0") == 0) return;
  if (std::strcmp(v, "1") != 0) {
    CMWQ_WARN("CMWQ_CONTROL=%s is neither 0 nor 1; the control socket stays off", v);
    return;
  }
  if (const int err = control_start())
    log_line("cmwq: cannot serve the control socket in %s: %s", control_dir().c_str(), std::strerror(-err));
}

}  // namespace cmwq::core
