// The shared layer cases (tests/layer_cases.h) on every device: functional, the bare Verilated
// core, and the SystemC platform; on the default and the small hardware config. One process per
// test (ctest), since SystemC elaborates once per process.
#include <ostream>

#include <gtest/gtest.h>

#include "tests/device_cases.h"

namespace sasim {
namespace {

struct CaseParam {
  DeviceKind device;
  bool small_hw;
};

void PrintTo(const CaseParam& p, std::ostream* os) {
  *os << DeviceKindName(p.device) << (p.small_hw ? " on small hw" : " on default hw");
}

class LayerCasesTest : public ::testing::TestWithParam<CaseParam> {};

TEST_P(LayerCasesTest, MatchGoldenAndClosedFormCounters) {
  const HwConfig hw = GetParam().small_hw ? testcases::SmallHw() : testcases::DefaultHw();
  auto device = MakeDevice(GetParam().device, hw);
  const auto cases = testcases::LayerCases();
  uint64_t expected_macs = 0;
  for (const auto& c : cases) expected_macs += static_cast<uint64_t>(c.layer.macs());
  EXPECT_EQ(testcases::RunLayerCases(*device, hw, cases), expected_macs);
}

INSTANTIATE_TEST_SUITE_P(Devices, LayerCasesTest,
                         ::testing::Values(CaseParam{DeviceKind::kFunctional, false},
                                           CaseParam{DeviceKind::kFunctional, true},
                                           CaseParam{DeviceKind::kBare, false},
                                           CaseParam{DeviceKind::kBare, true},
                                           CaseParam{DeviceKind::kPlatform, false},
                                           CaseParam{DeviceKind::kPlatform, true}),
                         [](const ::testing::TestParamInfo<CaseParam>& info) {
                           return std::string(DeviceKindName(info.param.device)) +
                                  (info.param.small_hw ? "_small" : "_default");
                         });

}  // namespace
}  // namespace sasim
