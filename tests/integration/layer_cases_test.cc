// The shared layer cases (tests/layer_cases.h) on every device: functional, the bare Verilated
// core, and the SystemC platform; on the default (16x16), the small (8x32, tiny buffers) and
// the narrow (8x8) hardware configs. One process per
// test (ctest), since SystemC elaborates once per process.
#include <ostream>

#include <gtest/gtest.h>

#include "tests/device_cases.h"

namespace sasim {
namespace {

enum class Hw { kDefault, kSmall, kNarrow };
const char* HwName(Hw hw) {
  return hw == Hw::kDefault ? "default" : hw == Hw::kSmall ? "small" : "narrow";
}

struct CaseParam {
  DeviceKind device;
  Hw hw;
};

void PrintTo(const CaseParam& p, std::ostream* os) {
  *os << DeviceKindName(p.device) << " on " << HwName(p.hw) << " hw";
}

class LayerCasesTest : public ::testing::TestWithParam<CaseParam> {};

TEST_P(LayerCasesTest, MatchGoldenAndClosedFormCounters) {
  const HwConfig hw = GetParam().hw == Hw::kDefault ? testcases::DefaultHw()
                      : GetParam().hw == Hw::kSmall ? testcases::SmallHw()
                                                    : testcases::NarrowHw();
  auto device = MakeDevice(GetParam().device, hw);
  const auto cases = testcases::LayerCases();
  uint64_t expected_macs = 0;
  for (const auto& c : cases) expected_macs += static_cast<uint64_t>(c.layer.macs());
  EXPECT_EQ(testcases::RunLayerCases(*device, hw, cases), expected_macs);
}

INSTANTIATE_TEST_SUITE_P(Devices, LayerCasesTest,
                         ::testing::Values(CaseParam{DeviceKind::kFunctional, Hw::kDefault},
                                           CaseParam{DeviceKind::kFunctional, Hw::kSmall},
                                           CaseParam{DeviceKind::kFunctional, Hw::kNarrow},
                                           CaseParam{DeviceKind::kBare, Hw::kDefault},
                                           CaseParam{DeviceKind::kBare, Hw::kSmall},
                                           CaseParam{DeviceKind::kBare, Hw::kNarrow},
                                           CaseParam{DeviceKind::kPlatform, Hw::kDefault},
                                           CaseParam{DeviceKind::kPlatform, Hw::kSmall},
                                           CaseParam{DeviceKind::kPlatform, Hw::kNarrow}),
                         [](const ::testing::TestParamInfo<CaseParam>& info) {
                           return std::string(DeviceKindName(info.param.device)) + "_" +
                                  HwName(info.param.hw);
                         });

}  // namespace
}  // namespace sasim
