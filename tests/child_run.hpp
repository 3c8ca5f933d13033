// tests/child_run.hpp - run this very test binary again, with one environment variable set and
// a GoogleTest filter, for settings the library reads once at start-up (CMWQ_INITIAL_JIFFIES,
// CMWQ_FAULT_INJECT). The child's output goes to the same standard output and error.
#pragma once

#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstring>
#include <string>
#include <thread>
#include <vector>

extern char** environ;

namespace child_run {

// Runs /proc/self/exe --gtest_filter=@filter with @name=@value in place of any @name in this
// process's environment. Returns the child's exit status; -1 if it could not start, did not exit
// normally, or ran past @limit (it is killed then).
inline int rerun_self(const std::string& name, const std::string& value, const std::string& filter,
                      std::chrono::seconds limit = std::chrono::seconds(120)) {
  const std::string prefix = name + "=";
  std::string assignment = prefix + value;
  std::string gtest_filter = "--gtest_filter=" + filter;
  std::vector<char*> envp;
  for (char** e = environ; *e; ++e)
    if (std::strncmp(*e, prefix.c_str(), prefix.size()) != 0) envp.push_back(*e);
  envp.push_back(assignment.data());
  envp.push_back(nullptr);
  char exe[] = "/proc/self/exe";
  char* argv[] = {exe, gtest_filter.data(), nullptr};
  pid_t pid;
  if (posix_spawn(&pid, exe, nullptr, nullptr, argv, envp.data()) != 0) return -1;
  int status = 0;
  const auto end = std::chrono::steady_clock::now() + limit;
  while (waitpid(pid, &status, WNOHANG) != pid) {
    if (std::chrono::steady_clock::now() > end) {
      kill(pid, SIGKILL);
      waitpid(pid, &status, 0);
      return -1;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

}  // namespace child_run
