#include "host/report/output_dir.h"

#include <fcntl.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <filesystem>

#include <fmt/core.h>

#include "contract/errors.h"
#include "host/io/files.h"

namespace sasim {
namespace {

namespace fs = std::filesystem;

std::string Errno() { return std::strerror(errno); }

// A fresh private directory inside `dir`; throws with `what` in the message.
std::string MakeStaging(const std::string& dir, const std::string& what) {
  std::string tmpl = (fs::path(dir) / ".sasim-staging.XXXXXX").string();
  if (::mkdtemp(tmpl.data()) == nullptr) {
    throw InputError(fmt::format("{} {}: cannot write there ({})", what, dir, Errno()));
  }
  return tmpl;
}

void RemoveTree(const std::string& path) {
  std::error_code ec;
  fs::remove_all(path, ec);
}

}  // namespace

OutputDir::OutputDir(std::string dir, std::string what)
    : dir_(std::move(dir)), what_(std::move(what)) {
  if (dir_.empty()) throw InputError(what_ + ": empty directory name");
  // Create what is missing, outermost first, remembering it so a failed run removes it again.
  std::vector<fs::path> missing;
  std::error_code ec;
  for (fs::path p = fs::path(dir_).lexically_normal(); !p.empty() && p != p.root_path();
       p = p.parent_path()) {
    struct stat st {};
    if (::stat(p.c_str(), &st) == 0) {
      if (!S_ISDIR(st.st_mode)) {
        throw InputError(
            fmt::format("{} {}: {} exists and is not a directory", what_, dir_, p.string()));
      }
      break;
    }
    if (errno != ENOENT) {
      throw InputError(fmt::format("{} {}: cannot use {} ({})", what_, dir_, p.string(), Errno()));
    }
    missing.push_back(p);
    if (p.parent_path() == p) break;
  }
  for (auto it = missing.rbegin(); it != missing.rend(); ++it) {
    if (::mkdir(it->c_str(), 0755) != 0 && errno != EEXIST) {
      throw InputError(
          fmt::format("{} {}: cannot create {} ({})", what_, dir_, it->string(), Errno()));
    }
    created_.push_back(it->string());
    cleanup_.push_back(std::make_unique<CleanupOnInterrupt>(it->string(), /*directory=*/true));
  }
  // Writable? A staging directory made and removed at once proves it.
  ::rmdir(MakeStaging(dir_, what_).c_str());
}

OutputDir::~OutputDir() {
  if (committed_) return;
  for (auto it = created_.rbegin(); it != created_.rend(); ++it) ::rmdir(it->c_str());
}

void OutputDir::Keep() {
  committed_ = true;
  cleanup_.clear();
}

void OutputDir::Add(const std::string& name, std::string contents) {
  files_.emplace_back(name, std::move(contents));
}

void OutputDir::Commit() {
  DeferInterrupts defer;
  const std::string staging = MakeStaging(dir_, what_);
  for (const auto& [name, contents] : files_) {
    try {
      WriteFileAtomically((fs::path(staging) / name).string(), contents);
    } catch (const InputError& e) {
      RemoveTree(staging);
      const std::string why = e.what();
      const auto paren = why.rfind(" (");
      throw InputError(fmt::format("{} {}: writing {} failed{}", what_, dir_, name,
                                   paren == std::string::npos ? "" : why.substr(paren)));
    }
  }
  // One writer at a time moves its set in: readers see one run's complete set.
  const int lock = ::open(dir_.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (lock >= 0) ::flock(lock, LOCK_EX);
  std::string failed;
  for (const auto& [name, contents] : files_) {
    const std::string from = (fs::path(staging) / name).string();
    const std::string to = (fs::path(dir_) / name).string();
    if (::rename(from.c_str(), to.c_str()) != 0 && failed.empty()) {
      failed = fmt::format("{}: cannot move into place ({})", to, Errno());
    }
  }
  if (lock >= 0) {
    ::fsync(lock);
    ::flock(lock, LOCK_UN);
    ::close(lock);
  }
  RemoveTree(staging);
  if (!failed.empty()) throw InputError(failed);
  committed_ = true;
  cleanup_.clear();
}

}  // namespace sasim
