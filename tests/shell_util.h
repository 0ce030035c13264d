// Helpers for tests that run sasim's programs as a user would: read a file, run a command.
#ifndef SASIM_TESTS_SHELL_UTIL_H_
#define SASIM_TESTS_SHELL_UTIL_H_

#include <sys/wait.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>

namespace sasim::testutil {

inline std::string Slurp(const std::filesystem::path& p) {
  std::ifstream in(p);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

// Runs a shell command; returns its exit code (-1 if it did not exit normally).
inline int Shell(const std::string& cmd) {
  const int status = std::system(cmd.c_str());
  return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

}  // namespace sasim::testutil

#endif  // SASIM_TESTS_SHELL_UTIL_H_
