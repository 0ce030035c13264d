// sasim_demo: one VGG-8-shaped conv layer through the Verilated 16x16 array, checked against
// the golden model. The host does im2col here; the controller of sa_top will do it in hardware.
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <random>
#include <vector>

#include <fmt/core.h>

#include "Vsa_array_16x16.h"
#include "host/golden/golden.h"
#include "sim/array_driver.h"

int main() {
  using sasim::ConvShape;
  // conv2 of VGG-8 after the first pool: 64 -> 192 channels, 16x16, 3x3, pad 1.
  const ConvShape shape{64, 16, 16, 192, 3, 3, 1, 1};
  const sasim::RequantParams requant{true, 6, sasim::Rounding::kFloor};
  std::mt19937 rng(8);
  std::uniform_int_distribution<int> byte(0, 255);
  std::vector<uint8_t> input(static_cast<size_t>(shape.in_channels) * shape.in_height *
                             shape.in_width);
  for (auto& v : input) v = static_cast<uint8_t>(byte(rng));
  std::normal_distribution<double> weight(0.0, 12.0);
  std::vector<int8_t> weights(shape.reduction() * shape.out_channels);
  for (auto& w : weights) w = static_cast<int8_t>(std::clamp(weight(rng), -128.0, 127.0));
  std::vector<int32_t> bias(shape.out_channels);
  for (auto& b : bias) b = std::uniform_int_distribution<int>(-2000, 2000)(rng);

  // im2col: A [E*F][C*R*S], B [C*R*S][K].
  const int out_h = shape.out_height(), out_w = shape.out_width();
  const int m = out_h * out_w, n = shape.out_channels, k = static_cast<int>(shape.reduction());
  std::vector<uint8_t> a(static_cast<size_t>(m) * k, 128);
  for (int e = 0; e < out_h; ++e) {
    for (int f = 0; f < out_w; ++f) {
      for (int c = 0; c < shape.in_channels; ++c) {
        for (int r = 0; r < shape.kernel_h; ++r) {
          for (int s = 0; s < shape.kernel_w; ++s) {
            const int y = e * shape.stride + r - shape.padding;
            const int x = f * shape.stride + s - shape.padding;
            if (y < 0 || y >= shape.in_height || x < 0 || x >= shape.in_width) continue;
            a[static_cast<size_t>(e * out_w + f) * k + (c * shape.kernel_h + r) * shape.kernel_w +
              s] = input[(static_cast<size_t>(c) * shape.in_height + y) * shape.in_width + x];
          }
        }
      }
    }
  }
  std::vector<int8_t> b(static_cast<size_t>(k) * n);
  for (int kk = 0; kk < n; ++kk) {
    for (int t = 0; t < k; ++t) b[static_cast<size_t>(t) * n + kk] = weights[kk * k + t];
  }

  sasim::ArrayDriver<Vsa_array_16x16> driver(16, 16);
  const auto start = std::chrono::steady_clock::now();
  const auto run = driver.RunGemm(m, n, k, a, b, bias, requant);
  const double wall =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();

  const auto expected = sasim::golden::Conv2d(shape, input, weights, bias, requant);
  int mismatches = 0;
  for (int kk = 0; kk < n; ++kk) {
    for (int p = 0; p < m; ++p) {
      const uint8_t got = run.out[static_cast<size_t>(p) * n + kk];
      const uint8_t want = expected[static_cast<size_t>(kk) * m + p];
      if (got != want && mismatches++ < 5) {
        fmt::print(stderr, "mismatch: channel {} pixel {}: expected {}, got {}\n", kk, p, want,
                   got);
      }
    }
  }
  const double macs = static_cast<double>(shape.macs());
  fmt::print("sasim demo: conv {}x{}x{} -> {} ({}x{} kernel, pad {}) on the 16x16 RTL array\n",
             shape.in_channels, shape.in_height, shape.in_width, shape.out_channels,
             shape.kernel_h, shape.kernel_w, shape.padding);
  fmt::print("  MACs            {}\n", shape.macs());
  fmt::print("  cycles          {}  (compute bound {}, PE utilization {:.1f}%)\n", run.cycles,
             static_cast<uint64_t>(macs / 256), 100.0 * macs / (256.0 * run.cycles));
  fmt::print("  folds           {}\n", run.folds);
  fmt::print("  simulation      {:.3f} s wall, {:.2f} M cycles/s\n", wall,
             run.cycles / wall / 1e6);
  fmt::print("  bit-exact       {}\n", mismatches == 0 ? "yes (all outputs match the golden model)"
                                                       : fmt::format("NO ({} mismatches)",
                                                                     mismatches));
  return mismatches == 0 ? 0 : 1;
}
