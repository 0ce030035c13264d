// A report directory that receives a run's files all at once. The directory is checked (created
// if needed, and proven writable) before anything is simulated; files are collected in memory
// and moved in together by Commit(): written to a private staging directory inside it, fsync'ed,
// then renamed into place one by one under an exclusive lock on the directory, so concurrent
// runs sharing one directory each leave a complete set and never share a temporary name. If the
// run fails or is interrupted before Commit(), the directory holds nothing new, and a directory
// this object created is removed again.
#ifndef SASIM_HOST_REPORT_OUTPUT_DIR_H_
#define SASIM_HOST_REPORT_OUTPUT_DIR_H_

#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "host/io/interrupt.h"

namespace sasim {

class OutputDir {
 public:
  // `what` names the option for messages ("--out"). Throws InputError if `dir` cannot be made
  // or written.
  OutputDir(std::string dir, std::string what);
  ~OutputDir();
  OutputDir(const OutputDir&) = delete;
  OutputDir& operator=(const OutputDir&) = delete;

  // `name` is a plain file name (no directories).
  void Add(const std::string& name, std::string contents);
  // Moves every added file into the directory. Throws InputError (nothing moved) on failure.
  void Commit();
  // Keeps the directory without moving files in (its owner wrote there itself).
  void Keep();
  const std::string& path() const { return dir_; }

 private:
  std::string dir_;
  std::string what_;
  std::vector<std::string> created_;  // directories made here, outermost first
  std::vector<std::unique_ptr<CleanupOnInterrupt>> cleanup_;
  std::vector<std::pair<std::string, std::string>> files_;
  bool committed_ = false;
};

}  // namespace sasim

#endif  // SASIM_HOST_REPORT_OUTPUT_DIR_H_
