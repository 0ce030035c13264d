// sim_run as a user runs it (the smoke test of the binary; the run itself is tested in-process in
// run_network_test.cc): the tiny net end to end, the reports it writes, its exit codes, a
// mismatch on stderr, and every file in tests/data/bad_inputs refused with its exact message
// and exit code 2, with nothing written.
#include <sys/wait.h>

#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <map>
#include <sstream>
#include <string>
#include <vector>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "tests/shell_util.h"

namespace sasim {
namespace {

namespace fs = std::filesystem;
using testutil::Shell;
using testutil::Slurp;
const fs::path kSource = SASIM_SOURCE_DIR;

struct Result {
  int exit_code = -1;
  std::string out, err;
};

Result SimRun(const std::string& args) {
  const fs::path tmp = fs::temp_directory_path() / ("sim_run_test_" + std::to_string(getpid()));
  fs::create_directories(tmp);
  const std::string cmd = std::string(SIM_RUN_PATH) + " " + args + " >" + (tmp / "out").string() +
                          " 2>" + (tmp / "err").string();
  Result r;
  r.exit_code = Shell(cmd);
  r.out = Slurp(tmp / "out");
  r.err = Slurp(tmp / "err");
  fs::remove_all(tmp);
  return r;
}

fs::path FreshDir(const std::string& name) {
  const fs::path dir = fs::temp_directory_path() / (name + "_" + std::to_string(getpid()));
  fs::remove_all(dir);
  return dir;
}

TEST(SimRunTest, TinyNetEndToEnd) {
  const fs::path out = FreshDir("tiny");
  const Result r = SimRun("--net " + (kSource / "configs/tiny.yaml").string() + " --out " +
                          out.string());
  ASSERT_EQ(r.exit_code, 0) << r.out << r.err;
  EXPECT_NE(r.out.find("bit-exact: yes"), std::string::npos) << r.out;
  const auto report = nlohmann::json::parse(Slurp(out / "report.json"));
  EXPECT_EQ(report["net"], "tiny");
  EXPECT_EQ(report["bit_exact"], true);
  EXPECT_EQ(report["hw"]["array_rows"], 16);
  EXPECT_EQ(report["hw"]["array_cols"], 16);
  ASSERT_EQ(report["layers"].size(), 4u);
  int64_t macs = 0;
  uint64_t cycles = 0;
  for (const auto& l : report["layers"]) {
    EXPECT_EQ(l["bit_exact"], true);
    EXPECT_TRUE(l["type"] == "conv2d" || l["type"] == "linear");
    EXPECT_GT(l["cycles"].get<uint64_t>(), 0u);
    EXPECT_GE(l["cycles"].get<double>(), l["compute_bound_cycles"].get<double>());
    EXPECT_EQ(l["counters"]["macs"], l["macs"]);
    macs += l["macs"].get<int64_t>();
    cycles += l["cycles"].get<uint64_t>();
  }
  // conv1 3x12x12 -> 20, conv2 20x6x6 -> 24 stride 2, fc3 216 -> 33, fc4 33 -> 10.
  EXPECT_EQ(macs, 3 * 9 * 20 * 144 + 20 * 9 * 24 * 9 + 216 * 33 + 33 * 10);
  EXPECT_EQ(report["totals"]["macs"], macs);
  EXPECT_EQ(report["totals"]["cycles"], cycles);
  const std::string csv = Slurp(out / "cycles.csv");
  EXPECT_EQ(std::count(csv.begin(), csv.end(), '\n'), 5);
  EXPECT_FALSE(fs::exists(out / "report.json.tmp"));
  // --jobs 3: three worker processes; every layer's counters and the totals as with --jobs 1.
  const fs::path split = FreshDir("tiny_jobs");
  const Result r3 = SimRun("--net " + (kSource / "configs/tiny.yaml").string() +
                           " --jobs 3 --out " + split.string());
  ASSERT_EQ(r3.exit_code, 0) << r3.out << r3.err;
  const auto report3 = nlohmann::json::parse(Slurp(split / "report.json"));
  EXPECT_EQ(report3["parallel"]["workers"], 3);
  EXPECT_NE(r3.out.find("3 worker processes, split by layers: "), std::string::npos) << r3.out;
  const fs::path one = FreshDir("tiny_one");
  ASSERT_EQ(SimRun("--net " + (kSource / "configs/tiny.yaml").string() + " --jobs 1 --out " +
                   one.string())
                .exit_code,
            0);
  const auto report1 = nlohmann::json::parse(Slurp(one / "report.json"));
  EXPECT_EQ(report1["parallel"]["workers"], 1);
  EXPECT_EQ(report3["layers"], report1["layers"]);
  EXPECT_EQ(report3["totals"]["cycles"], report1["totals"]["cycles"]);
  for (const auto& d : {out, split, one}) fs::remove_all(d);
}

TEST(SimRunTest, InjectedFaultIsCaughtWithLayerIndexAndValues) {
  const fs::path out = FreshDir("fault");
  const Result r = SimRun("--net " + (kSource / "configs/tiny.yaml").string() +
                          " --inject-fault conv2 --out " + out.string());
  EXPECT_EQ(r.exit_code, 1) << r.out << r.err;
  EXPECT_NE(r.err.find("MISMATCH layer conv2: output index"), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("expected"), std::string::npos) << r.err;
  EXPECT_NE(r.err.find(", got"), std::string::npos) << r.err;
  const auto report = nlohmann::json::parse(Slurp(out / "report.json"));
  EXPECT_EQ(report["bit_exact"], false);
  EXPECT_EQ(report["layers"][0]["bit_exact"], true);   // conv1 is untouched
  EXPECT_EQ(report["layers"][1]["bit_exact"], false);  // conv2 is where it goes wrong
  fs::remove_all(out);
}

TEST(SimRunTest, HelpVersionAndUsageErrors) {
  EXPECT_EQ(SimRun("--help").exit_code, 0);
  const Result version = SimRun("--version");
  EXPECT_EQ(version.exit_code, 0);
  EXPECT_NE(version.out.find("sim_run (sasim)"), std::string::npos);
  EXPECT_EQ(SimRun("").exit_code, 2);  // --net is required
  EXPECT_EQ(SimRun("--net x.yaml --frobnicate").exit_code, 2);
  EXPECT_EQ(SimRun("--net x.yaml --jobs 0").exit_code, 2);  // at least one worker
  EXPECT_NE(SimRun("--help").out.find("--jobs"), std::string::npos);
  const Result missing = SimRun("--net /nonexistent/net.yaml");
  EXPECT_EQ(missing.exit_code, 2);
  EXPECT_EQ(missing.err, "sim_run: error: /nonexistent/net.yaml: cannot open file\n");
}

TEST(SimRunTest, EveryBadInputIsRefusedWithItsMessage) {
  const fs::path dir = kSource / "tests/data/bad_inputs";
  int checked = 0;
  for (const auto& entry : fs::directory_iterator(dir)) {
    const fs::path path = entry.path();
    const std::string name = path.filename().string();
    if (entry.is_directory() || path.extension() == ".expect") continue;
    SCOPED_TRACE(name);
    std::string expected, args;
    if (path.extension() == ".yaml") {
      std::ifstream in(path);
      std::string first;
      std::getline(in, first);
      ASSERT_EQ(first.rfind("# expect: ", 0), 0u);
      expected = first.substr(10);
      args = name.rfind("hw_", 0) == 0
                 ? "--net " + (kSource / "configs/tiny.yaml").string() + " --hw " + path.string()
                 : "--net " + path.string();
    } else {
      std::ifstream in(path.string() + ".expect");
      ASSERT_TRUE(in) << "needs a .expect file";
      std::string line, net, index = "0";
      while (std::getline(in, line)) {
        if (line.rfind("net: ", 0) == 0) net = line.substr(5);
        if (line.rfind("index: ", 0) == 0) index = line.substr(7);
        if (line.rfind("expect: ", 0) == 0) expected = line.substr(8);
      }
      args = "--net " + (kSource / net).string() + " --input " + path.string() + " --index " +
             index;
    }
    for (const auto& [key, value] : {std::pair<std::string, std::string>{"{file}", path.string()},
                                     {"{path}", path.string()},
                                     {"{dir}", dir.string()}}) {
      for (size_t at; (at = expected.find(key)) != std::string::npos;) {
        expected.replace(at, key.size(), value);
      }
    }
    const fs::path out = FreshDir("bad");
    const Result r = SimRun(args + " --out " + out.string());
    EXPECT_EQ(r.exit_code, 2) << r.out << r.err;
    EXPECT_EQ(r.err, "sim_run: error: " + expected + "\n");
    EXPECT_FALSE(fs::exists(out)) << "a refused run must write nothing";
    ++checked;
  }
  EXPECT_GE(checked, 25);
}

}  // namespace
}  // namespace sasim
