#include "host/io/files.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <filesystem>

#include <fmt/core.h>

#include "contract/errors.h"

namespace sasim {
namespace {

std::string Errno() { return std::strerror(errno); }

}  // namespace

Fd::~Fd() {
  if (fd_ >= 0) ::close(fd_);
}

uint64_t RequireRegularFile(const std::string& path, std::string_view what) {
  if (path.empty()) throw InputError(fmt::format("{}: empty path", what));
  struct stat st {};
  if (::stat(path.c_str(), &st) != 0) {
    throw InputError(fmt::format("{}: {}: cannot open ({})", path, what, Errno()));
  }
  if (S_ISDIR(st.st_mode)) {
    throw InputError(fmt::format("{}: {}: is a directory, expected a file", path, what));
  }
  if (!S_ISREG(st.st_mode)) {
    throw InputError(fmt::format("{}: {}: not a regular file (a FIFO, socket or device is not "
                                 "read)", path, what));
  }
  return static_cast<uint64_t>(st.st_size);
}

std::string ReadFileBounded(const std::string& path, std::string_view what, uint64_t max_bytes) {
  const uint64_t size = RequireRegularFile(path, what);
  if (size > max_bytes) {
    throw InputError(fmt::format("{}: {}: {} bytes, more than the {} bytes accepted", path, what,
                                 size, max_bytes));
  }
  // O_NONBLOCK: should the file have been swapped for a FIFO since stat(), open does not block.
  Fd fd(::open(path.c_str(), O_RDONLY | O_CLOEXEC | O_NONBLOCK));
  if (fd.get() < 0) throw InputError(fmt::format("{}: {}: cannot open ({})", path, what, Errno()));
  struct stat st {};
  if (::fstat(fd.get(), &st) != 0 || !S_ISREG(st.st_mode)) {
    throw InputError(fmt::format("{}: {}: not a regular file", path, what));
  }
  std::string data;
  data.resize(static_cast<size_t>(size));
  size_t done = 0;
  while (done < data.size()) {
    const ssize_t n = ::read(fd.get(), data.data() + done, data.size() - done);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) throw InputError(fmt::format("{}: {}: read failed ({})", path, what, Errno()));
    if (n == 0) break;  // shrank while reading
    done += static_cast<size_t>(n);
  }
  data.resize(done);
  return data;
}

void WriteFileAtomically(const std::string& path, std::string_view contents) {
  namespace fs = std::filesystem;
  const fs::path target(path);
  const fs::path dir = target.has_parent_path() ? target.parent_path() : fs::path(".");
  std::string tmpl = (dir / ("." + target.filename().string() + ".XXXXXX")).string();
  Fd fd(::mkstemp(tmpl.data()));
  if (fd.get() < 0) throw InputError(fmt::format("{}: cannot write ({})", path, Errno()));
  const std::string tmp = tmpl;
  auto fail = [&](const std::string& why) {
    ::unlink(tmp.c_str());
    throw InputError(fmt::format("{}: {} ({})", path, why, Errno()));
  };
  size_t done = 0;
  while (done < contents.size()) {
    const ssize_t n = ::write(fd.get(), contents.data() + done, contents.size() - done);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) fail("write failed");
    done += static_cast<size_t>(n);
  }
  if (::fchmod(fd.get(), 0644) != 0 || ::fsync(fd.get()) != 0) fail("write failed");
  if (::close(fd.release()) != 0) fail("write failed");
  if (::rename(tmp.c_str(), path.c_str()) != 0) fail("cannot rename into place");
}

bool IsPathName(std::string_view name) {
  if (name.empty() || name.size() > 64 || name[0] == '.') return false;
  for (char c : name) {
    const bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                    c == '_' || c == '.' || c == '-';
    if (!ok) return false;
  }
  return true;
}

void CheckPathName(const std::string& name, std::string_view where) {
  if (!IsPathName(name)) {
    std::string shown;
    for (unsigned char c : name.substr(0, 64)) {
      shown += (c >= 0x20 && c < 0x7f) ? std::string(1, static_cast<char>(c))
                                       : fmt::format("\\x{:02x}", c);
    }
    throw InputError(fmt::format("{}: name '{}' is not allowed: names become file names, so "
                                 "they are 1..64 characters of A-Z a-z 0-9 _ . - and do not "
                                 "start with '.'", where, shown));
  }
}

}  // namespace sasim
