// Config loading: every shipped hw config loads; every file in tests/data/bad_inputs fails with
// exactly the message written on its first line ("# expect: ...", {file} = its path).
#include <filesystem>
#include <fstream>
#include <string>

#include <gtest/gtest.h>

#include "contract/errors.h"
#include "host/config/config_loader.h"

namespace sasim {
namespace {

namespace fs = std::filesystem;
const fs::path kSource = SASIM_SOURCE_DIR;

TEST(ConfigTest, EveryShippedHwConfigLoads) {
  int loaded = 0;
  for (const auto& entry : fs::directory_iterator(kSource / "configs/hw")) {
    if (entry.path().extension() != ".yaml") continue;
    SCOPED_TRACE(entry.path().string());
    const HwConfig hw = LoadHwConfig(entry.path().string());
    EXPECT_EQ(hw.name, entry.path().stem().string());
    EXPECT_EQ(hw.array_cols, 16);
    ++loaded;
  }
  EXPECT_GE(loaded, 2);
}

TEST(ConfigTest, EveryShippedEnergyTableLoads) {
  int loaded = 0;
  for (const auto& entry : fs::directory_iterator(kSource / "configs/energy")) {
    SCOPED_TRACE(entry.path().string());
    const EnergyTable t = LoadEnergyTable(entry.path().string());
    EXPECT_EQ(t.name, entry.path().stem().string());
    EXPECT_GT(t.MacPj(), 0.0);
    EXPECT_GT(t.fp32_mult_pj + t.fp32_add_pj, 0.0);
    ++loaded;
  }
  EXPECT_EQ(loaded, 3);
}

TEST(ConfigTest, DefaultConfigIsTheRealisticEdgeConfig) {
  const HwConfig hw = LoadHwConfig((kSource / "configs/hw/default.yaml").string());
  EXPECT_EQ(hw.array_rows, 16);
  EXPECT_LE(hw.abuf_bytes + hw.wbuf_bytes + hw.obuf_bytes, 512u * 1024);
  EXPECT_LE(hw.dram_bytes_per_cycle, 16u);
  EXPECT_GE(hw.dram_latency_cycles, 50u);
  EXPECT_EQ(hw.clock_mhz, 200.0);
}

TEST(ConfigTest, EveryBadHwInputFailsWithItsMessage) {
  int checked = 0;
  for (const auto& entry : fs::directory_iterator(kSource / "tests/data/bad_inputs")) {
    const std::string name = entry.path().filename().string();
    if (name.rfind("hw_", 0) != 0) continue;
    SCOPED_TRACE(name);
    std::ifstream in(entry.path());
    std::string first;
    std::getline(in, first);
    ASSERT_EQ(first.rfind("# expect: ", 0), 0u) << "first line must say what to expect";
    std::string expected = first.substr(10);
    const std::string path = entry.path().string();
    expected.replace(expected.find("{file}"), 6, path);
    try {
      LoadHwConfig(path);
      ADD_FAILURE() << "loaded without error";
    } catch (const InputError& e) {
      EXPECT_EQ(std::string(e.what()), expected);
    }
    ++checked;
  }
  EXPECT_GE(checked, 9);
}

TEST(ConfigTest, MissingFileIsAnInputError) {
  EXPECT_THROW(LoadHwConfig("/nonexistent/hw.yaml"), InputError);
}

}  // namespace
}  // namespace sasim
