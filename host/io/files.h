// Files as sasim reads and writes them. Reading: only regular files, never more than a stated
// bound (a FIFO, a directory or /dev/zero is refused before it is opened). Writing: a unique
// temporary file in the target's directory, written, fsync'ed and renamed into place, so a
// reader never sees half a file and concurrent writers never share a temporary name.
// Every failure is an InputError naming the path and the reason.
#ifndef SASIM_HOST_IO_FILES_H_
#define SASIM_HOST_IO_FILES_H_

#include <cstdint>
#include <string>
#include <string_view>

namespace sasim {

// A file descriptor closed on every path out of a scope.
class Fd {
 public:
  explicit Fd(int fd) : fd_(fd) {}
  Fd(const Fd&) = delete;
  Fd& operator=(const Fd&) = delete;
  ~Fd();
  int get() const { return fd_; }
  int release() {
    const int fd = fd_;
    fd_ = -1;
    return fd;
  }

 private:
  int fd_;
};

// Throws InputError unless `path` names a regular file (after symlinks). `what` says what the
// file is for ("net file", "--input"), for the message. Returns the file size in bytes.
uint64_t RequireRegularFile(const std::string& path, std::string_view what);

// Reads a whole regular file of at most `max_bytes` bytes.
std::string ReadFileBounded(const std::string& path, std::string_view what, uint64_t max_bytes);

// Writes `contents` to `path` durably and atomically (unique temp name, fsync, rename).
void WriteFileAtomically(const std::string& path, std::string_view contents);

// Names that become parts of paths (a net's name, a layer's name): 1..64 characters of
// [A-Za-z0-9_.-], not starting with '.'. Throws InputError with `where` in the message.
void CheckPathName(const std::string& name, std::string_view where);
bool IsPathName(std::string_view name);

}  // namespace sasim

#endif  // SASIM_HOST_IO_FILES_H_
