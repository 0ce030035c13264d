#include "sim/trace.h"

#include <fcntl.h>
#include <spawn.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <filesystem>

#include <fmt/core.h>

#include "contract/errors.h"
#include "host/io/files.h"
#include "host/io/interrupt.h"
#include "host/report/output_dir.h"
#include "sim/wave_views.h"

extern char** environ;

namespace sasim {
namespace {

namespace fs = std::filesystem;

// Runs `argv` (PATH lookup, no shell) with stdout and stderr discarded; returns its exit code,
// or -1 when it could not be started or did not exit normally.
int RunTool(std::vector<std::string> args) {
  std::vector<char*> argv;
  for (auto& a : args) argv.push_back(a.data());
  argv.push_back(nullptr);
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_addopen(&actions, STDOUT_FILENO, "/dev/null", O_WRONLY, 0);
  posix_spawn_file_actions_addopen(&actions, STDERR_FILENO, "/dev/null", O_WRONLY, 0);
  pid_t pid = 0;
  const int rc = posix_spawnp(&pid, argv[0], &actions, nullptr, argv.data(), environ);
  posix_spawn_file_actions_destroy(&actions);
  if (rc != 0) return -1;
  int status = 0;
  while (::waitpid(pid, &status, 0) < 0) {
    if (errno != EINTR) return -1;
  }
  return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

}  // namespace

TracePlan PlanTrace(const TraceOptions& opt, const std::string& net_name, const Program& program) {
  TracePlan plan;
  if (!opt.wanted()) return plan;
  plan.enabled = true;
  std::string path = opt.file;
  if (path.empty()) {
    path =
        fmt::format("{}_{}.fst", net_name, opt.layer.empty() ? "cycles_" + opt.cycles : opt.layer);
    std::replace(path.begin(), path.end(), ':', '-');
    if (!IsPathName(path)) {
      throw InputError(
          fmt::format("--trace-layer/--trace-cycles: '{}' does not make a file "
                      "name; give --trace FILE",
                      path));
    }
  }
  if (path.find('/') == std::string::npos) path = "waveforms/" + path;  // the default place
  const auto ext = fs::path(path).extension().string();
  if (ext != ".vcd" && ext != ".fst") {
    throw InputError(
        fmt::format("--trace {}: the waveform format comes from the extension, "
                    ".vcd or .fst",
                    path));
  }
  if (fs::path(path).filename().string().size() <= 4) {
    throw InputError(fmt::format("--trace {}: needs a file name", path));
  }
  plan.path = path;
  plan.fst = ext == ".fst";
  plan.views_dir = SASIM_SOURCE_DIR "/waveforms";
  plan.request.depth = opt.depth;
  if (opt.depth < 1) throw InputError(fmt::format("--trace-depth {}: at least 1", opt.depth));
  plan.request.end_cycle = UINT64_MAX;
  if (!opt.cycles.empty()) {
    unsigned long long a = 0, b = 0;
    char extra = 0;
    if (std::sscanf(opt.cycles.c_str(), "%llu:%llu%c", &a, &b, &extra) != 2 || b <= a ||
        opt.cycles[0] == '-') {
      throw InputError(
          fmt::format("--trace-cycles '{}': expected START:END with START < END", opt.cycles));
    }
    plan.request.first_cycle = a;
    plan.request.end_cycle = b;
  }
  if (!opt.layer.empty()) {
    size_t i = 0;
    while (i < program.layers.size() && program.layers[i].name != opt.layer) ++i;
    if (i == program.layers.size()) {
      throw InputError(
          fmt::format("--trace-layer: no conv2d or linear layer '{}' in the network", opt.layer));
    }
    plan.request.by_command = true;
    plan.request.first_command = static_cast<uint32_t>(program.layers[i].first_command);
    plan.request.end_command = static_cast<uint32_t>(program.layers[i].end_command);
  }
  return plan;
}

TraceFile::TraceFile(const TracePlan& plan) : plan_(plan), request_(plan.request) {
  const fs::path target(plan_.path);
  dir_ = std::make_unique<OutputDir>(
      target.has_parent_path() ? target.parent_path().string() : std::string("."), "--trace");
  std::string tmpl =
      (target.parent_path() / ("." + target.filename().string() + ".XXXXXX")).string();
  const int fd = ::mkstemp(tmpl.data());
  if (fd < 0) {
    throw InputError(
        fmt::format("--trace {}: cannot write ({})", plan_.path, std::strerror(errno)));
  }
  ::close(fd);
  request_.path = tmpl;
  cleanup_ = std::make_unique<CleanupOnInterrupt>(tmpl, /*directory=*/false);
}

TraceFile::~TraceFile() {
  if (!finished_) ::unlink(request_.path.c_str());
  cleanup_.reset();
}

uint64_t TraceFile::Finish() {
  // The views, from the VCD as the core wrote it; written once the dump is in place.
  std::vector<std::pair<std::string, std::string>> views;
  if (!plan_.views_dir.empty()) {
    const DumpEvents events = ScanVcd(request_.path);
    const std::string dir = fs::absolute(plan_.views_dir).lexically_normal().string();
    const std::string dump = fs::absolute(plan_.path).lexically_normal().string();
    for (const std::string& name : ViewTemplates(dir)) {
      const std::string path = dir + "/" + name + ".gtkw";
      const std::string view = ViewPath(plan_.path, name);
      views.emplace_back(view,
                         ViewText(ReadFileBounded(path, "waveform view", 1 << 20), path, dir, dump,
                                  fs::absolute(view).lexically_normal().string(), events));
    }
  }
  std::string produced = request_.path;
  if (plan_.fst) {
    produced = request_.path + ".fst";
    CleanupOnInterrupt fst_cleanup(produced, /*directory=*/false);
    const int rc = RunTool({"vcd2fst", request_.path, produced});
    if (rc != 0) {
      ::unlink(produced.c_str());
      throw SimulationError(fmt::format("vcd2fst (gtkwave) failed to write {}{}", plan_.path,
                                        rc < 0 ? " (is gtkwave installed?)" : ""));
    }
    ::unlink(request_.path.c_str());
    finished_ = true;
    if (::rename(produced.c_str(), plan_.path.c_str()) != 0) {
      ::unlink(produced.c_str());
      throw InputError(
          fmt::format("--trace {}: cannot move into place ({})", plan_.path, std::strerror(errno)));
    }
  } else {
    if (::rename(produced.c_str(), plan_.path.c_str()) != 0) {
      throw InputError(
          fmt::format("--trace {}: cannot move into place ({})", plan_.path, std::strerror(errno)));
    }
    finished_ = true;
  }
  ::chmod(plan_.path.c_str(), 0644);
  dir_->Keep();
  for (const auto& [path, text] : views) {
    WriteFileAtomically(path, text);
    views_.push_back(path);
  }
  std::error_code ec;
  const auto size = fs::file_size(plan_.path, ec);
  return ec ? 0 : size;
}

}  // namespace sasim
