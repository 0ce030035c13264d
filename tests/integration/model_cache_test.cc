// A hw config no model was shipped for, as a user runs it: sim_run builds its Verilated model
// into the cache on first use (two runs asking at once build it once), and later runs load it.
// Label `slow`: the build takes 20-40 s on 2 cores.
#include <chrono>
#include <filesystem>
#include <fstream>
#include <string>
#include <thread>
#include <utility>

#include <unistd.h>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "tests/shell_util.h"

namespace sasim {
namespace {

namespace fs = std::filesystem;
using testutil::Shell;
using testutil::Slurp;

struct RunResult {
  int code = -1;
  std::string log;
  nlohmann::json report;
};

std::string Command(const fs::path& cache, const fs::path& hw, const fs::path& out) {
  return "SASIM_MODEL_CACHE='" + cache.string() +
         "' '" SIM_RUN_PATH "' --net '" SASIM_SOURCE_DIR "/configs/nets/lenet5.yaml' --hw '" +
         hw.string() + "' --out '" + out.string() + "' --quiet --no-html > '" + out.string() +
         ".log' 2>&1";
}

RunResult Finish(int code, const fs::path& out) {
  RunResult r;
  r.code = code;
  r.log = Slurp(out.string() + ".log");
  if (fs::exists(out / "report.json")) r.report = nlohmann::json::parse(Slurp(out / "report.json"));
  return r;
}

TEST(ModelCacheTest, ANewShapeIsBuiltOnceAndThenReused) {
  const fs::path dir =
      fs::temp_directory_path() / ("sasim_model_cache_test_" + std::to_string(::getpid()));
  fs::remove_all(dir);
  fs::create_directories(dir);
  const fs::path cache = dir / "cache";
  // The default config as an 8x48 array (three output words per drained row): no shipped
  // model has that shape.
  const fs::path hw = dir / "r8c48.yaml";
  {
    std::string yaml = Slurp(SASIM_SOURCE_DIR "/configs/hw/default.yaml");
    for (const auto& [from, to] :
         {std::pair<std::string, std::string>{"array_rows: 16", "array_rows: 8"},
          {"array_cols: 16", "array_cols: 48"}}) {
      const size_t at = yaml.find(from);
      ASSERT_NE(at, std::string::npos);
      yaml.replace(at, from.size(), to);
    }
    std::ofstream(hw) << yaml;
  }

  // Two runs at once on an empty cache: one builds, the other waits for it; both are exact.
  int code_a = -1, code_b = -1;
  std::thread a([&] { code_a = Shell(Command(cache, hw, dir / "a")); });
  std::this_thread::sleep_for(std::chrono::milliseconds(200));
  std::thread b([&] { code_b = Shell(Command(cache, hw, dir / "b")); });
  a.join();
  b.join();
  const RunResult ra = Finish(code_a, dir / "a"), rb = Finish(code_b, dir / "b");
  ASSERT_EQ(ra.code, 0) << ra.log;
  ASSERT_EQ(rb.code, 0) << rb.log;
  const std::string building = "has no Verilated model yet: building one";
  const int builds =
      (ra.log.find(building) != std::string::npos) + (rb.log.find(building) != std::string::npos);
  EXPECT_EQ(builds, 1) << ra.log << rb.log;
  EXPECT_TRUE(ra.report["bit_exact"].get<bool>());
  EXPECT_EQ(ra.report["hw"]["array_rows"], 8);
  EXPECT_EQ(ra.report["hw"]["array_cols"], 48);
  EXPECT_EQ(ra.report["totals"]["cycles"], rb.report["totals"]["cycles"]);
  ASSERT_EQ(ra.report["layers"].size(), rb.report["layers"].size());
  for (size_t i = 0; i < ra.report["layers"].size(); ++i) {
    EXPECT_EQ(ra.report["layers"][i]["counters"], rb.report["layers"][i]["counters"]) << i;
  }
  int entries = 0;
  for (const auto& e : fs::directory_iterator(cache)) {
    if (e.is_directory()) {
      ++entries;
      EXPECT_TRUE(fs::exists(e.path() / "libsa_top.so")) << e.path();
    }
  }
  EXPECT_EQ(entries, 1);

  // Later runs load it: no build, the same cycles.
  const RunResult rc = Finish(Shell(Command(cache, hw, dir / "c")), dir / "c");
  ASSERT_EQ(rc.code, 0) << rc.log;
  EXPECT_EQ(rc.log.find(building), std::string::npos) << rc.log;
  EXPECT_EQ(rc.report["totals"]["cycles"], ra.report["totals"]["cycles"]);
  EXPECT_TRUE(rc.report["bit_exact"].get<bool>());
  fs::remove_all(dir);
}

}  // namespace
}  // namespace sasim
