// Shared by the fuzz targets: the loaders take paths, so each input is written to a file in a
// private temporary directory first.
#ifndef SASIM_TESTS_FUZZ_FUZZ_UTIL_H_
#define SASIM_TESTS_FUZZ_FUZZ_UTIL_H_

#include <stdlib.h>
#include <unistd.h>

#include <cstdint>
#include <cstdio>
#include <string>

namespace sasim::fuzz {

// A directory of this process, made on first use (removed by the OS's temp cleaning; a fuzzer
// process writes one file there, over and over).
inline const std::string& WorkDir() {
  static const std::string dir = [] {
    const char* tmp = getenv("TMPDIR");
    std::string t = std::string(tmp && *tmp ? tmp : "/tmp") + "/sasim_fuzz_XXXXXX";
    if (mkdtemp(t.data()) == nullptr) abort();
    return t;
  }();
  return dir;
}

// Writes the input to WorkDir()/name and returns the path.
inline std::string WriteInput(const std::string& name, const uint8_t* data, size_t size) {
  const std::string path = WorkDir() + "/" + name;
  FILE* f = fopen(path.c_str(), "wb");
  if (f == nullptr) abort();
  if (size > 0 && fwrite(data, 1, size, f) != size) abort();
  if (fclose(f) != 0) abort();
  return path;
}

}  // namespace sasim::fuzz

#endif  // SASIM_TESTS_FUZZ_FUZZ_UTIL_H_
