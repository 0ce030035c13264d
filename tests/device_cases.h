// The layer-case loop, written once and run on any device (sim/device.h): every case is
// compiled, run alone, checked bit for bit against the golden model and its counters against
// their closed forms; on a timed device the counters that do not depend on timing must also
// equal the functional device's.
#ifndef SASIM_TESTS_DEVICE_CASES_H_
#define SASIM_TESTS_DEVICE_CASES_H_

#include <vector>

#include <gtest/gtest.h>

#include "compiler/net_compiler.h"
#include "host/device/functional_device.h"
#include "sim/device.h"
#include "tests/layer_cases.h"

namespace sasim::testcases {

// Returns the MACs the device counted over all cases.
inline uint64_t RunLayerCases(Device& device, const HwConfig& hw,
                              const std::vector<LayerCase>& cases) {
  uint64_t macs = 0;
  FunctionalDevice reference(hw);
  device.Run([&](Hal& hal) {
    for (const auto& c : cases) {
      SCOPED_TRACE(c.layer.name + " on " + hw.name + " (" +
                   std::string(DeviceKindName(device.kind())) + ")");
      const auto program = compiler::CompileLayer(c.layer, c.params, hw);
      const auto run = RunLayer(hal, program.program, c.input);
      ExpectMatchesGolden(c, run);
      ExpectClosedFormCounters(c, program, hw, run.counters, device.timed());
      if (device.timed()) {
        const auto untimed = RunLayer(reference, program.program, c.input);
        for (int i = 0; i < isa::kNumCounters; ++i) {
          const auto which = static_cast<isa::Counter>(i);
          if (DependsOnTiming(which)) continue;
          EXPECT_EQ(run.counters[i], untimed.counters[i]) << isa::CounterName(which);
        }
      }
      macs += Get(run.counters, isa::Counter::kMacs);
      if (::testing::Test::HasFailure()) return;
    }
  });
  return macs;
}

}  // namespace sasim::testcases

#endif  // SASIM_TESTS_DEVICE_CASES_H_
