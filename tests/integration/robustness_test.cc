// sim_run against what a careless or hostile user gives it: unwritable and shared output places,
// a file name that would be a shell command, a net name that would escape runs/, an interrupt in
// the middle of a run, a full disk. Each ends with a clear exit code and nothing half-written.
#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <sys/mount.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <string>
#include <thread>
#include <vector>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "tests/shell_util.h"

extern char** environ;

namespace sasim {
namespace {

namespace fs = std::filesystem;
using testutil::Slurp;
const fs::path kSource = SASIM_SOURCE_DIR;

fs::path FreshDir(const std::string& name) {
  const fs::path dir = fs::temp_directory_path() / (name + "_" + std::to_string(getpid()));
  fs::remove_all(dir);
  fs::create_directories(dir);
  return dir;
}

// Starts sim_run with an argument vector (stdout and stderr to files in `dir`).
pid_t Spawn(const std::vector<std::string>& args, const fs::path& dir, const std::string& tag) {
  std::vector<std::string> all{SIM_RUN_PATH};
  all.insert(all.end(), args.begin(), args.end());
  std::vector<char*> argv;
  for (auto& a : all) argv.push_back(a.data());
  argv.push_back(nullptr);
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  const std::string out = (dir / (tag + ".out")).string(), err = (dir / (tag + ".err")).string();
  posix_spawn_file_actions_addopen(&actions, STDOUT_FILENO, out.c_str(),
                                   O_WRONLY | O_CREAT | O_TRUNC, 0644);
  posix_spawn_file_actions_addopen(&actions, STDERR_FILENO, err.c_str(),
                                   O_WRONLY | O_CREAT | O_TRUNC, 0644);
  pid_t pid = -1;
  EXPECT_EQ(posix_spawn(&pid, argv[0], &actions, nullptr, argv.data(), environ), 0);
  posix_spawn_file_actions_destroy(&actions);
  return pid;
}

int Wait(pid_t pid) {
  int status = 0;
  waitpid(pid, &status, 0);
  return status;
}

int ExitCode(int status) { return WIFEXITED(status) ? WEXITSTATUS(status) : -1; }

// Files whose names say they are temporaries or staging areas, anywhere under `dir`.
std::vector<std::string> Leftovers(const fs::path& dir) {
  std::vector<std::string> found;
  if (!fs::exists(dir)) return found;
  for (const auto& e : fs::recursive_directory_iterator(dir)) {
    const std::string name = e.path().filename().string();
    if (name[0] == '.' || name.find(".tmp") != std::string::npos) found.push_back(name);
  }
  return found;
}

TEST(RobustnessTest, UnwritableOutputIsRefusedBeforeSimulating) {
  const fs::path dir = FreshDir("unwritable");
  for (const std::string option : {"--out", "--dump-outputs", "--trace"}) {
    SCOPED_TRACE(option);
    const std::string place = option == "--trace" ? "/proc/sasim_no/w.vcd" : "/proc/sasim_no/x";
    std::vector<std::string> args = {"--net", (kSource / "configs/vgg8.yaml").string(), "--quiet",
                                     option, place};
    if (option != "--out") args.insert(args.end(), {"--out", (dir / "run").string()});
    const pid_t pid = Spawn(args, dir, "u");
    const auto start = std::chrono::steady_clock::now();
    EXPECT_EQ(ExitCode(Wait(pid)), 2);
    // Refused before VGG-8 was simulated (a run takes seconds; the check, milliseconds).
    EXPECT_LT(std::chrono::steady_clock::now() - start, std::chrono::seconds(2));
    const std::string err = Slurp(dir / "u.err");
    EXPECT_NE(err.find("sim_run: error: " + option + " /proc/sasim_no"), std::string::npos) << err;
    EXPECT_FALSE(fs::exists(dir / "run")) << "nothing written";
  }
  fs::remove_all(dir);
}

TEST(RobustnessTest, AWaveformOfADeviceWithoutRtlIsRefusedBeforeWriting) {
  const fs::path dir = FreshDir("notrace");
  const pid_t pid = Spawn({"--net", (kSource / "configs/tiny.yaml").string(), "--quiet",
                           "--device", "functional", "--out", (dir / "run").string(), "--trace",
                           (dir / "waves/w.vcd").string()}, dir, "n");
  EXPECT_EQ(ExitCode(Wait(pid)), 2);
  EXPECT_NE(Slurp(dir / "n.err").find("the functional device has no RTL to trace"),
            std::string::npos) << Slurp(dir / "n.err");
  EXPECT_FALSE(fs::exists(dir / "run"));
  EXPECT_FALSE(fs::exists(dir / "waves"));
  fs::remove_all(dir);
}

TEST(RobustnessTest, AWaveformNameIsNeverGivenToAShell) {
  const fs::path dir = FreshDir("inject");
  const std::string name = (dir / "a';touch INJECTED;'.fst").string();
  const pid_t pid = Spawn({"--net", (kSource / "configs/tiny.yaml").string(), "--quiet", "--out",
                           (dir / "run").string(), "--trace", name, "--trace-layer", "conv2"},
                          dir, "i");
  ASSERT_EQ(ExitCode(Wait(pid)), 0) << Slurp(dir / "i.err");
  EXPECT_FALSE(fs::exists("INJECTED"));
  EXPECT_FALSE(fs::exists(dir / "INJECTED"));
  EXPECT_GT(fs::file_size(name), 0u);  // the FST, under exactly the name given
  EXPECT_TRUE(Leftovers(dir).empty());
  fs::remove_all(dir);
}

TEST(RobustnessTest, ANetNameCannotEscapeTheRunsDirectory) {
  const fs::path dir = FreshDir("escape");
  std::string net = Slurp(kSource / "configs/tiny.yaml");
  const auto at = net.find("\nname: ");
  ASSERT_NE(at, std::string::npos);
  net.replace(at, net.find('\n', at + 1) - at, "\nname: ../../escaped");
  std::ofstream(dir / "net.yaml") << net;
  const fs::path cwd = fs::current_path();
  fs::create_directories(dir / "work");
  fs::current_path(dir / "work");
  const pid_t pid = Spawn({"--net", (dir / "net.yaml").string(), "--quiet"}, dir, "e");
  const int status = Wait(pid);
  fs::current_path(cwd);
  EXPECT_EQ(ExitCode(status), 2);
  EXPECT_NE(Slurp(dir / "e.err").find("'../../escaped' is not allowed"), std::string::npos)
      << Slurp(dir / "e.err");
  EXPECT_FALSE(fs::exists(dir / "escaped"));
  EXPECT_FALSE(fs::exists(dir / "work/runs"));
  fs::remove_all(dir);
}

TEST(RobustnessTest, RunsSharingOneOutputDirectoryEachLeaveACompleteSet) {
  const fs::path dir = FreshDir("shared");
  std::vector<pid_t> pids;
  for (int seed = 1; seed <= 4; ++seed) {
    pids.push_back(Spawn({"--net", (kSource / "configs/tiny.yaml").string(), "--quiet", "--seed",
                          std::to_string(seed), "--out", (dir / "run").string()},
                         dir, "s" + std::to_string(seed)));
  }
  for (pid_t pid : pids) EXPECT_EQ(ExitCode(Wait(pid)), 0);
  // The set is one run's: report.json, cycles.csv and energy.csv agree with each other.
  const auto report = nlohmann::json::parse(Slurp(dir / "run/report.json"));
  const std::string cycles = Slurp(dir / "run/cycles.csv");
  uint64_t total = 0;
  for (const auto& l : report["layers"]) {
    const std::string row = l["name"].get<std::string>() + "," + l["type"].get<std::string>() +
                            "," + std::to_string(l["macs"].get<int64_t>()) + "," +
                            std::to_string(l["cycles"].get<uint64_t>()) + ",";
    EXPECT_NE(cycles.find(row), std::string::npos) << row << "\n" << cycles;
    total += l["cycles"].get<uint64_t>();
  }
  EXPECT_EQ(report["totals"]["cycles"].get<uint64_t>(), total);
  EXPECT_TRUE(Leftovers(dir / "run").empty());
  fs::remove_all(dir);
}

TEST(RobustnessTest, AnInterruptedRunLeavesNothingBehind) {
  const fs::path dir = FreshDir("interrupt");
  const pid_t pid = Spawn({"--net", (kSource / "configs/vgg8.yaml").string(), "--quiet", "--out",
                           (dir / "new/run").string(), "--trace", (dir / "waves/vgg8.vcd").string(),
                           "--trace-cycles", "0:2000000"},
                          dir, "int");
  // Wait until the dump has started (the run is under way), then interrupt it.
  bool started = false;
  for (int i = 0; i < 200 && !started; ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
    started = fs::exists(dir / "waves") && !fs::is_empty(dir / "waves");
  }
  ASSERT_TRUE(started);
  std::this_thread::sleep_for(std::chrono::milliseconds(300));
  kill(pid, SIGINT);
  const int status = Wait(pid);
  EXPECT_TRUE(WIFSIGNALED(status) && WTERMSIG(status) == SIGINT) << status;
  EXPECT_FALSE(fs::exists(dir / "new")) << "the report directory it made is gone";
  EXPECT_FALSE(fs::exists(dir / "waves")) << "the partial waveform and its directory are gone";
  fs::remove_all(dir);
}

TEST(RobustnessTest, AFullDiskIsAnErrorNotAHangOrAnEmptyFile) {
  const fs::path dir = FreshDir("full");
  const fs::path disk = dir / "disk";
  fs::create_directories(disk);
  if (mount("tmpfs", disk.c_str(), "tmpfs", 0, "size=64k") != 0) {
    fs::remove_all(dir);
    GTEST_SKIP() << "cannot mount a small tmpfs here (needs root)";
  }
  struct Case {
    std::vector<std::string> args;
    std::string message;
  };
  const std::string tiny = (kSource / "configs/tiny.yaml").string();
  const std::vector<Case> cases = {
      {{"--trace", (disk / "t.vcd").string()}, "writing the waveform failed"},
      {{"--dump-outputs", (disk / "dump").string()}, "writing"},
  };
  // Fill the disk first so that even the small files fail.
  std::ofstream(disk / "fill") << std::string(60 * 1024, 'x');
  for (const auto& c : cases) {
    SCOPED_TRACE(c.args[0]);
    std::vector<std::string> args = {"--net", tiny, "--quiet", "--out", (dir / "run").string()};
    args.insert(args.end(), c.args.begin(), c.args.end());
    const pid_t pid = Spawn(args, dir, "f");
    EXPECT_EQ(ExitCode(Wait(pid)), 2);
    const std::string err = Slurp(dir / "f.err");
    EXPECT_NE(err.find(c.message), std::string::npos) << err;
    EXPECT_NE(err.find("No space left"), std::string::npos) << err;
    EXPECT_FALSE(fs::exists(dir / "run")) << "no report set for a failed run";
    std::vector<std::string> names;
    for (const auto& e : fs::directory_iterator(disk)) names.push_back(e.path().filename());
    EXPECT_EQ(names, std::vector<std::string>{"fill"}) << "nothing half-written on the disk";
  }
  umount(disk.c_str());
  fs::remove_all(dir);
}

}  // namespace
}  // namespace sasim
