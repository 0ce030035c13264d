// bench_array: simulated cycles per second and MACs per second of the Verilated 16x16 array on
// this machine, on VGG-8-sized GEMM folds (K = 576, the reduction of a 64-channel 3x3 conv).
#include <chrono>
#include <cstdint>
#include <random>
#include <vector>

#include <fmt/core.h>

#include "Vsa_array_16x16.h"
#include "sim/array_driver.h"

int main() {
  const int m = 256, n = 64, k = 576;
  std::mt19937 rng(1);
  std::uniform_int_distribution<int> byte(0, 255);
  std::vector<uint8_t> a(static_cast<size_t>(m) * k);
  std::vector<int8_t> b(static_cast<size_t>(k) * n);
  std::vector<int32_t> bias(n, 0);
  for (auto& v : a) v = static_cast<uint8_t>(byte(rng));
  for (auto& v : b) v = static_cast<int8_t>(byte(rng) - 128);

  sasim::ArrayDriver<Vsa_array_16x16> driver(16, 16);
  driver.RunGemm(m, n, k, a, b, bias, {true, 8, sasim::Rounding::kFloor});  // warm-up
  const int reps = 5;
  uint64_t cycles = 0;
  const auto start = std::chrono::steady_clock::now();
  for (int i = 0; i < reps; ++i) {
    cycles += driver.RunGemm(m, n, k, a, b, bias, {true, 8, sasim::Rounding::kFloor}).cycles;
  }
  const double wall =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  const double macs = static_cast<double>(reps) * m * n * k;
  fmt::print("bench_array: 16x16 Verilated sa_array, GEMM {}x{}x{} x{}\n", m, n, k, reps);
  fmt::print("  simulated cycles   {}\n", cycles);
  fmt::print("  wall time          {:.3f} s\n", wall);
  fmt::print("  cycles per second  {:.3f} M\n", cycles / wall / 1e6);
  fmt::print("  MACs per second    {:.1f} M (simulated hardware MACs)\n", macs / wall / 1e6);
  fmt::print("  PE utilization     {:.1f}%\n", 100.0 * macs / (256.0 * cycles));
  return 0;
}
