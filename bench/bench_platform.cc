// bench_platform: simulated cycles per second of the SystemC platform against the bare
// Verilated core on one VGG-8-sized layer (conv 256->256, 8x8, 3x3, on the default 16x16
// config), the platform's overhead, and the layer's PE utilization beside its roofline bound
// max(MACs / PEs, minimum DRAM bytes / bandwidth).
#include <chrono>
#include <cstdint>
#include <random>
#include <string>

#include <fmt/core.h>

#include "compiler/net_compiler.h"
#include "contract/layout.h"
#include "host/config/config_loader.h"
#include "host/runtime/runtime.h"
#include "sim/bare_device.h"
#include "sim/platform.h"

namespace {

double Seconds(std::chrono::steady_clock::time_point start) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
}

// The benchmark's layer: conv 256->256 on 8x8, 3x3, ReLU, random weights and input.
struct BenchLayer {
  sasim::Layer layer;
  sasim::LayerWeights params;
  std::vector<uint8_t> input;
};

BenchLayer MakeLayer() {
  BenchLayer b;
  b.layer.name = "conv_256x256_8x8";
  b.layer.shape = sasim::ConvShape{256, 8, 8, 256, 3, 3, 1, 1};
  b.layer.requant = {true, 9, sasim::Rounding::kFloor};
  std::mt19937 rng(1);
  std::uniform_int_distribution<int> w(-40, 40), a(0, 255), bias(-5000, 5000);
  for (size_t i = 0; i < b.layer.weight_count(); ++i) {
    b.params.weights.push_back(static_cast<int8_t>(w(rng)));
  }
  for (int k = 0; k < 256; ++k) b.params.bias.push_back(bias(rng));
  for (int64_t i = 0; i < b.layer.in_shape().elements(); ++i) {
    b.input.push_back(static_cast<uint8_t>(a(rng)));
  }
  return b;
}

}  // namespace

int main(int argc, char** argv) {
  using namespace sasim;
  const std::string hw_path = argc > 1 ? argv[1] : SASIM_SOURCE_DIR "/configs/hw/default.yaml";
  const HwConfig hw = LoadHwConfig(hw_path);
  const BenchLayer layer = MakeLayer();
  const Program program = compiler::CompileLayer(layer.layer, layer.params, hw).program;

  LayerRun bare_run;
  double bare_wall = 0;
  uint64_t bare_cycles = 0;
  auto start = std::chrono::steady_clock::now();
  {
    BareDevice bare(hw);
    start = std::chrono::steady_clock::now();
    bare_run = RunLayer(bare, program, layer.input);
    bare_wall = Seconds(start);
    bare_cycles = bare.core().cycle();
  }

  Platform platform(hw);
  LayerRun platform_run;
  start = std::chrono::steady_clock::now();
  platform.Run([&](Hal& hal) { platform_run = RunLayer(hal, program, layer.input); });
  const double platform_wall = Seconds(start);

  const uint64_t cycles = Get(platform_run.counters, isa::Counter::kCycles);
  const double macs = static_cast<double>(layer.layer.shape.macs());
  const double min_bytes =
      static_cast<double>(program.segments.at(0).bytes.size() +
                          C16Bytes(layer.layer.shape.in_channels, layer.layer.shape.in_height,
                                   layer.layer.shape.in_width) +
                          C16Bytes(layer.layer.shape.out_channels, layer.layer.shape.out_height(),
                                   layer.layer.shape.out_width()));
  const double compute_bound = macs / hw.pes();
  const double memory_bound = min_bytes / hw.dram_bytes_per_cycle;
  const double roofline = std::max(compute_bound, memory_bound);
  const uint64_t platform_cycles = platform.stats().accel_cycles;

  fmt::print("bench_platform: {} on hw config '{}' ({}x{} array)\n", layer.layer.name, hw.name,
             hw.array_rows, hw.array_cols);
  fmt::print("  bit-exact bare vs platform  {}\n",
             bare_run.output == platform_run.output ? "yes" : "NO");
  fmt::print("  layer cycles                {} (bare core {})\n", cycles,
             Get(bare_run.counters, isa::Counter::kCycles));
  fmt::print("  bare Verilated core         {:.3f} s, {:.3f} M cycles/s\n", bare_wall,
             bare_cycles / bare_wall / 1e6);
  fmt::print("  SystemC/TLM platform        {:.3f} s, {:.3f} M cycles/s\n", platform_wall,
             platform_cycles / platform_wall / 1e6);
  fmt::print("  platform overhead           {:.2f}x (target < 1.5x)\n",
             (platform_wall / platform_cycles) / (bare_wall / bare_cycles));
  fmt::print("  TLM transactions            {}, time syncs {}\n", platform.stats().tlm_transactions,
             platform.stats().time_syncs);
  fmt::print("  PE utilization              {:.1f}% (MACs / (PEs x cycles))\n",
             100.0 * macs / (hw.pes() * static_cast<double>(cycles)));
  fmt::print("  roofline bound              {:.0f} cycles = max(compute {:.0f}, memory {:.0f} "
             "= {:.0f} B / {} B/cycle)\n", roofline, compute_bound, memory_bound, min_bytes,
             hw.dram_bytes_per_cycle);
  fmt::print("  cycles / roofline           {:.3f}\n", cycles / roofline);
  return bare_run.output == platform_run.output ? 0 : 1;
}
