// The accumulator-wrap counter (acc_wraps, docs/isa.md) through the whole Verilated sa_top
// (bare: clocked directly, DRAM model attached) and the functional device: a layer whose biases
// sit next to the int32 limits wraps; the RTL counts every wrapped accumulation step, the count
// equals an independent reference's and the functional device's, and the (wrapped) outputs are
// still the golden model's bit for bit. An ordinary layer counts 0.
#include <algorithm>
#include <cstdint>
#include <limits>

#include <gtest/gtest.h>

#include "compiler/net_compiler.h"
#include "host/device/functional_device.h"
#include "sim/bare_device.h"
#include "tests/layer_cases.h"

namespace sasim {
namespace {

// Accumulation steps that wrap int32, counted in the hardware's order: each output starts from
// its bias and adds the taps in reduction order (16-channel block, ky, kx, channel in block);
// padding taps add 0.
uint64_t ReferenceWraps(const testcases::LayerCase& c) {
  const ConvShape& s = c.layer.shape;
  uint64_t wraps = 0;
  for (int n = 0; n < s.out_channels; ++n) {
    for (int e = 0; e < s.out_height(); ++e) {
      for (int f = 0; f < s.out_width(); ++f) {
        int64_t acc = c.params.bias[n];
        for (int cb = 0; cb < (s.in_channels + 15) / 16; ++cb) {
          for (int ky = 0; ky < s.kernel_h; ++ky) {
            for (int kx = 0; kx < s.kernel_w; ++kx) {
              for (int ch = 16 * cb; ch < std::min(16 * cb + 16, s.in_channels); ++ch) {
                const int y = e * s.stride + ky - s.padding, x = f * s.stride + kx - s.padding;
                const bool pad = y < 0 || y >= s.in_height || x < 0 || x >= s.in_width;
                const int a = pad ? 128 : c.input[(static_cast<size_t>(ch) * s.in_height + y) *
                                                      s.in_width + x];
                const int w = c.params.weights[((static_cast<size_t>(n) * s.in_channels + ch) *
                                                    s.kernel_h + ky) * s.kernel_w + kx];
                acc += (a - 128) * w;
                if (acc > std::numeric_limits<int32_t>::max()) {
                  acc -= int64_t{1} << 32;
                  ++wraps;
                } else if (acc < std::numeric_limits<int32_t>::min()) {
                  acc += int64_t{1} << 32;
                  ++wraps;
                }
              }
            }
          }
        }
      }
    }
  }
  return wraps;
}

uint64_t Wraps(const LayerRun& run) { return Get(run.counters, isa::Counter::kAccWraps); }

TEST(CoreTest, WrappingLayer) {
  for (const HwConfig& hw : {testcases::DefaultHw(), testcases::SmallHw()}) {
    SCOPED_TRACE(hw.name);
    BareDevice device(hw);
    FunctionalDevice functional(hw);
    auto c = testcases::MakeCase("conv20x20_6x6_wrap", {20, 6, 6, 20, 3, 3, 1, 1}, false, false,
                                 Rounding::kFloor, 11);
    const int32_t max = std::numeric_limits<int32_t>::max();
    const int32_t min = std::numeric_limits<int32_t>::min();
    for (size_t n = 0; n < c.params.bias.size(); ++n) {
      // Within a few products of either limit; every third channel left ordinary.
      if (n % 3 == 0) c.params.bias[n] = max - static_cast<int32_t>(200 * n);
      if (n % 3 == 1) c.params.bias[n] = min + static_cast<int32_t>(200 * n);
    }
    const auto compiled = compiler::CompileLayer(c.layer, c.params, hw);
    const auto run = RunLayer(device, compiled.program, c.input);
    testcases::ExpectMatchesGolden(c, run);
    const auto reference = RunLayer(functional, compiled.program, c.input);
    EXPECT_GT(Wraps(run), 100u);
    EXPECT_EQ(Wraps(run), ReferenceWraps(c));
    EXPECT_EQ(Wraps(run), Wraps(reference));
    EXPECT_EQ(reference.output, run.output);

    const auto ordinary = testcases::LayerCases().front();
    const auto normal = RunLayer(
        device, compiler::CompileLayer(ordinary.layer, ordinary.params, hw).program,
        ordinary.input);
    testcases::ExpectMatchesGolden(ordinary, normal);
    EXPECT_EQ(Wraps(normal), 0u);
  }
}

}  // namespace
}  // namespace sasim
