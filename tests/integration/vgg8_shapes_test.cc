// Every conv/linear layer shape of VGG-8, each run alone by a host program on the SystemC
// platform with the Verilated RTL, bit-exact against the golden model, with its counters.
#include <gtest/gtest.h>

#include "tests/device_cases.h"
#include "tests/vgg8_shapes.h"

namespace sasim {
namespace {

TEST(Vgg8ShapesTest, EveryLayerShapeOnThePlatform) {
  const HwConfig hw = testcases::DefaultHw();
  auto platform = MakeDevice(DeviceKind::kPlatform, hw);
  EXPECT_EQ(testcases::RunLayerCases(*platform, hw, testcases::Vgg8ShapeCases()),
            168002816u);  // VGG-8's MACs (docs/networks.md)
}

}  // namespace
}  // namespace sasim
