// src/kcompat/string.cpp - the kernel's string helpers that libc lacks: strscpy(),
// strscpy_pad(), memzero_explicit().
#include <cstring>

#include <linux/errno.h>
#include <linux/string.h>

extern "C" {

ssize_t strscpy(char* dest, const char* src, size_t size) {
  if (size == 0) return -E2BIG;
  const size_t len = strnlen(src, size);
  if (len == size) {  // does not fit with its terminator: truncate
    std::memcpy(dest, src, size - 1);
    dest[size - 1] = '\0';
    return -E2BIG;
  }
  std::memcpy(dest, src, len + 1);
  return static_cast<ssize_t>(len);
}

ssize_t strscpy_pad(char* dest, const char* src, size_t size) {
  const ssize_t n = strscpy(dest, src, size);
  if (size > 0) {
    const size_t used = std::strlen(dest) + 1;
    std::memset(dest + used, 0, size - used);
  }
  return n;
}

void memzero_explicit(void* s, size_t count) {
  std::memset(s, 0, count);
  // Tells the compiler the zeroed memory is used, so the memset cannot be dropped as dead.
  __asm__ __volatile__("" : : "r"(s) : "memory");
}

}  // extern "C"
