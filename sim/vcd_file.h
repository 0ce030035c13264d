// The file a VCD dump is written to. Verilator's own file class calls vl_fatal when a write
// fails (a full disk), and vl_fatal then flushes the same trace while its lock is held: the
// process deadlocks. This one never fails a write: it stops writing, remembers why, and the
// caller throws after the trace is closed.
#ifndef SASIM_SIM_VCD_FILE_H_
#define SASIM_SIM_VCD_FILE_H_

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <string>

#include "verilated_vcd_c.h"

namespace sasim {

class CheckedVcdFile : public VerilatedVcdFile {
 public:
  bool open(const std::string& name) override {
    error_.clear();
    fd_ = ::open(name.c_str(), O_CREAT | O_WRONLY | O_TRUNC | O_CLOEXEC, 0644);
    if (fd_ < 0) error_ = std::strerror(errno);
    return fd_ >= 0;
  }
  void close() override {
    if (fd_ >= 0 && ::close(fd_) != 0 && error_.empty()) error_ = std::strerror(errno);
    fd_ = -1;
  }
  ssize_t write(const char* bufp, ssize_t len) override {
    ssize_t done = 0;
    while (fd_ >= 0 && error_.empty() && done < len) {
      const ssize_t n = ::write(fd_, bufp + done, static_cast<size_t>(len - done));
      if (n < 0 && errno == EINTR) continue;
      if (n <= 0) {
        error_ = n < 0 ? std::strerror(errno) : "no space written";
        break;
      }
      done += n;
    }
    return len;  // the rest is dropped; error() tells
  }
  // Why writing stopped, or "" when every byte was written.
  const std::string& error() const { return error_; }

 private:
  int fd_ = -1;
  std::string error_;
};

}  // namespace sasim

#endif  // SASIM_SIM_VCD_FILE_H_
