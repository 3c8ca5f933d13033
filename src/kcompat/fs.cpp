// src/kcompat/fs.cpp - filp_open(), kernel_read(), kernel_write() and filp_close() of <linux/fs.h>.
//
// Kernel modules tune WQ_SYSFS queues by writing files under /sys/bus/workqueue/devices/. In a
// process those files do not exist, so the paths of workqueue sysfs are served from cmwq's
// attribute table (core/wq_sysfs.hpp) and every other path is opened for real. An attribute file
// behaves like a kernfs one: opening a read-only attribute for writing fails with -EACCES, each
// read shows the attribute afresh from the offset given, and each write is one store of the
// whole buffer, whose error is the write's result.
#include "core/wq_sysfs.hpp"

#include <linux/fs.h>

#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <new>
#include <string>
#include <string_view>
#include <vector>

namespace {

constexpr std::string_view bus_dir = "/sys/bus/workqueue/devices/";
constexpr std::string_view virtual_dir = "/sys/devices/virtual/workqueue/";

struct file_state {
  bool is_attr = false;
  int fd = -1;
  std::string queue;  // "" = the global directory
  std::string attr;
};

file_state* state(file* f) { return static_cast<file_state*>(f->cmwq_private); }

bool starts_with(std::string_view s, std::string_view p) { return s.substr(0, p.size()) == p; }

// Splits a workqueue sysfs path into queue and attribute. Returns false if it is not one.
// Global attributes live only in the virtual directory, as in the kernel.
bool parse_attr_path(std::string_view path, std::string* queue, std::string* attr) {
  std::string_view rest;
  bool is_virtual = false;
  if (starts_with(path, bus_dir)) {
    rest = path.substr(bus_dir.size());
  } else if (starts_with(path, virtual_dir)) {
    rest = path.substr(virtual_dir.size());
    is_virtual = true;
  } else {
    return false;
  }
  const auto slash = rest.find('/');
  if (slash == std::string_view::npos) {
    if (!is_virtual) return false;
    queue->clear();
    *attr = rest;
    return true;
  }
  *queue = rest.substr(0, slash);
  *attr = rest.substr(slash + 1);
  return !queue->empty();
}

int open_attr(file_state* st, int flags) {
  std::vector<cmwq::core::sysfs_attr_info> attrs;
  if (cmwq::core::sysfs_attrs(st->queue, &attrs)) return -ENOENT;
  for (const auto& a : attrs) {
    if (st->attr != a.name) continue;
    if ((flags & O_ACCMODE) != O_RDONLY && !(a.mode & 0200)) return -EACCES;
    return 0;
  }
  return -ENOENT;
}

loff_t* position(file* f, loff_t* pos) { return pos ? pos : &f->f_pos; }

}  // namespace

extern "C" {

struct file* filp_open(const char* filename, int flags, umode_t mode) {
  if (!filename) return static_cast<file*>(ERR_PTR(-EFAULT));
  auto* st = new (std::nothrow) file_state;
  auto* f = new (std::nothrow) file{};
  if (!st || !f) {
    delete st;
    delete f;
    return static_cast<file*>(ERR_PTR(-ENOMEM));
  }
  int err = 0;
  if (parse_attr_path(filename, &st->queue, &st->attr)) {
    st->is_attr = true;
    err = open_attr(st, flags);
  } else {
    st->fd = ::open(filename, flags | O_CLOEXEC, mode);
    if (st->fd < 0) err = -errno;
  }
  if (err) {
    delete st;
    delete f;
    return static_cast<file*>(ERR_PTR(err));
  }
  f->f_flags = static_cast<unsigned>(flags);
  f->cmwq_private = st;
  return f;
}

int filp_close(struct file* filp, fl_owner_t) {
  if (!filp || IS_ERR(filp)) return -EBADF;
  file_state* st = state(filp);
  const int err = (st->fd >= 0 && ::close(st->fd) != 0) ? -errno : 0;
  delete st;
  delete filp;
  return err;
}

ssize_t kernel_read(struct file* file, void* buf, size_t count, loff_t* pos) {
  if (!file || IS_ERR(file) || (file->f_flags & O_ACCMODE) == O_WRONLY) return -EBADF;
  file_state* st = state(file);
  loff_t* p = position(file, pos);
  if (!st->is_attr) {
    const ssize_t n = ::pread(st->fd, buf, count, *p);
    if (n < 0) return -errno;
    *p += n;
    return n;
  }
  std::string text;
  if (const int err = cmwq::core::sysfs_show(st->queue, st->attr, &text)) return err;
  if (*p < 0) return -EINVAL;
  if (static_cast<std::size_t>(*p) >= text.size()) return 0;
  const std::size_t n = std::min(count, text.size() - static_cast<std::size_t>(*p));
  std::memcpy(buf, text.data() + *p, n);
  *p += static_cast<loff_t>(n);
  return static_cast<ssize_t>(n);
}

ssize_t kernel_write(struct file* file, const void* buf, size_t count, loff_t* pos) {
  if (!file || IS_ERR(file) || (file->f_flags & O_ACCMODE) == O_RDONLY) return -EBADF;
  file_state* st = state(file);
  loff_t* p = position(file, pos);
  if (!st->is_attr) {
    const ssize_t n = (file->f_flags & O_APPEND) ? ::write(st->fd, buf, count) : ::pwrite(st->fd, buf, count, *p);
    if (n < 0) return -errno;
    *p += n;
    return n;
  }
  const std::string_view value(static_cast<const char*>(buf), count);
  if (const int err = cmwq::core::sysfs_store(st->queue, st->attr, value)) return err;
  *p += static_cast<loff_t>(count);
  return static_cast<ssize_t>(count);
}

}  // extern "C"
