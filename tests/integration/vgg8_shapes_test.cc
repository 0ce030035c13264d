// Every conv/linear layer shape of VGG-8, each run alone by a host program on the SystemC
// platform with the Verilated RTL, bit-exact against the golden model, with its counters.
#include <gtest/gtest.h>

#include "sim/platform.h"
#include "tests/vgg8_shapes.h"

namespace sasim {
namespace {

TEST(Vgg8ShapesTest, EveryLayerShapeOnThePlatform) {
  const HwConfig hw = testcases::DefaultHw();
  Platform platform(hw);
  int64_t macs = 0;
  platform.Run([&](Hal& hal) {
    for (const auto& c : testcases::Vgg8ShapeCases()) {
      SCOPED_TRACE(c.layer.name);
      const auto program = compiler::CompileLayer(c.layer, hw, 0x1000);
      const auto run = RunLayer(hal, program, c.input);
      testcases::ExpectMatchesGolden(c, run);
      testcases::ExpectClosedFormCounters(c, program, run.counters, /*timed=*/true);
      macs += static_cast<int64_t>(run.counters[static_cast<int>(isa::Counter::kMacs)]);
      if (::testing::Test::HasFailure()) return;
    }
  });
  EXPECT_EQ(macs, 168002816);  // design.md: VGG-8's MACs
}

}  // namespace
}  // namespace sasim
