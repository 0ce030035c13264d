// Single layers on the SystemC platform (host thread, interconnect, DRAM target, Verilated
// sa_top), bit-exact against the golden model, counters against their closed forms.
// SystemC elaborates once per process; ctest runs each test in its own process.
#include <gtest/gtest.h>

#include "contract/errors.h"
#include "sim/platform.h"
#include "tests/layer_cases.h"

namespace sasim {
namespace {

void RunCasesOnPlatform(const HwConfig& hw) {
  Platform platform(hw);
  platform.Run([&](Hal& hal) {
    for (const auto& c : testcases::LayerCases()) {
      SCOPED_TRACE(c.layer.name + " on " + hw.name);
      const auto program = compiler::CompileLayer(c.layer, hw, 0x1000);
      const auto run = RunLayer(hal, program, c.input);
      testcases::ExpectMatchesGolden(c, run);
      testcases::ExpectClosedFormCounters(c, program, run.counters, /*timed=*/true);
      if (::testing::Test::HasFailure()) return;
    }
  });
  const auto stats = platform.stats();
  EXPECT_GT(stats.accel_cycles, 0u);
  EXPECT_GT(stats.tlm_transactions, 0u);
  EXPECT_GT(stats.simulated_seconds, 0.0);
}

TEST(PlatformTest, LayerCasesDefaultHw) { RunCasesOnPlatform(testcases::DefaultHw()); }
TEST(PlatformTest, LayerCasesSmallHw) { RunCasesOnPlatform(testcases::SmallHw()); }

}  // namespace
}  // namespace sasim
