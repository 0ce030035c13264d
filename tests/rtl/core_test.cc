// Single layers through the Verilated sa_top (bare: clocked directly, DRAM model attached),
// bit-exact against the golden model, counters against their closed forms.
#include <gtest/gtest.h>

#include "host/device/functional_device.h"
#include "sim/bare_device.h"
#include "tests/layer_cases.h"

namespace sasim {
namespace {

void RunCases(const HwConfig& hw) {
  BareDevice device(hw);
  FunctionalDevice functional(hw);
  for (const auto& c : testcases::LayerCases()) {
    SCOPED_TRACE(c.layer.name + " on " + hw.name);
    const auto program = compiler::CompileLayer(c.layer, hw, 0x1000);
    const auto run = RunLayer(device, program, c.input);
    testcases::ExpectMatchesGolden(c, run);
    testcases::ExpectClosedFormCounters(c, program, run.counters, /*timed=*/true);
    // Every counter that does not depend on timing equals the functional device's.
    const auto reference = RunLayer(functional, program, c.input);
    for (int i = 0; i < isa::kNumCounters; ++i) {
      const auto which = static_cast<isa::Counter>(i);
      if (which == isa::Counter::kCycles || which == isa::Counter::kBusyCycles ||
          which == isa::Counter::kStallLoad || which == isa::Counter::kStallStore ||
          which == isa::Counter::kStallFetch || which == isa::Counter::kCmdFetchBytes ||
          which == isa::Counter::kIssueCycles) {
        continue;
      }
      EXPECT_EQ(run.counters[i], reference.counters[i]) << isa::CounterName(which);
    }
    if (::testing::Test::HasFailure()) return;
  }
}

TEST(CoreTest, LayerCasesDefaultHw) { RunCases(testcases::DefaultHw()); }
TEST(CoreTest, LayerCasesSmallHw) { RunCases(testcases::SmallHw()); }

}  // namespace
}  // namespace sasim
