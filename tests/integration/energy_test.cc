// The course's energy question, on the accelerator: a linear layer 128 -> 10 (batch 1) run on
// the SystemC platform, priced with configs/energy/course_ops.yaml from the RTL's own counts.
#include <gtest/gtest.h>

#include "host/config/config_loader.h"
#include "host/energy/energy.h"
#include "sim/platform.h"
#include "tests/layer_cases.h"

namespace sasim {
namespace {

TEST(EnergyTest, CourseLinear128x10) {
  const HwConfig hw = LoadHwConfig(SASIM_SOURCE_DIR "/configs/hw/default.yaml");
  const EnergyTable ops = LoadEnergyTable(SASIM_SOURCE_DIR "/configs/energy/course_ops.yaml");
  const auto c = testcases::MakeCase("fc", {128, 1, 1, 10, 1, 1, 1, 0}, false, false,
                                     Rounding::kFloor, 42);
  Counters counters{};
  Platform platform(hw);
  platform.Run([&](Hal& hal) {
    const auto run = RunLayer(hal, compiler::CompileLayer(c.layer, c.params, hw).program, c.input);
    testcases::ExpectMatchesGolden(c, run);
    counters = run.counters;
  });
  ASSERT_EQ(Get(counters, isa::Counter::kMacs), 1280u);       // 128 x 10, as the RTL counted
  ASSERT_EQ(Get(counters, isa::Counter::kRequantOps), 10u);
  const Energy e = ComputeEnergy(ops, hw, counters);
  // FP32: 1280 multiplies and 1280 adds (the bias add included) = 5888 pJ, the course's figure.
  EXPECT_DOUBLE_EQ(e.fp32_equivalent, 5888.0);
  // INT8 from the hardware's counts: 1280 x (INT8 mult 0.2 + INT32 add 0.1) + 10 shifts x 0.01.
  EXPECT_NEAR(e.compute(), 1280 * 0.3 + 10 * 0.01, 1e-9);
  // The course's 422.8 pJ adds a zero-point subtract per MAC and a zero-point add per output as
  // INT8 adds; the hardware flips an MSB instead: 1280 x 0.03 + 10 x 0.03 = 38.7 pJ less.
  EXPECT_NEAR(422.8 - e.compute(), 38.7, 1e-9);
  // The op table has no memory or leakage energies.
  EXPECT_EQ(e.dram + e.sram_act + e.sram_weight + e.sram_out + e.leakage, 0.0);
}

TEST(EnergyTest, TablesPriceWhatTheyCover) {
  const HwConfig hw = LoadHwConfig(SASIM_SOURCE_DIR "/configs/hw/default.yaml");
  Counters n{};
  n[static_cast<int>(isa::Counter::kMacs)] = 1000;
  n[static_cast<int>(isa::Counter::kMacsZero)] = 400;
  n[static_cast<int>(isa::Counter::kAbufReads)] = 10;
  n[static_cast<int>(isa::Counter::kDramReadBytes)] = 800;
  n[static_cast<int>(isa::Counter::kCycles)] = 200000;  // 1 ms at 200 MHz
  const EnergyTable eyeriss =
      LoadEnergyTable(SASIM_SOURCE_DIR "/configs/energy/course_eyeriss.yaml");
  const Energy e = ComputeEnergy(eyeriss, hw, n);
  EXPECT_DOUBLE_EQ(e.mac, 1000 * 2.0);
  EXPECT_DOUBLE_EQ(e.sram_act, 10 * 16 * 10.0);   // 16 one-byte elements per word access
  EXPECT_DOUBLE_EQ(e.dram, 800 * 200.0);
  EXPECT_NEAR(e.leakage, 50e-6 * 1e-3 * 1e12, 1e-6);  // 50 uW for 1 ms = 50 nJ
  // A gated MAC prices zero-operand MACs apart.
  EnergyTable gated = eyeriss;
  gated.gated_mac_pj = 0.5;
  EXPECT_DOUBLE_EQ(ComputeEnergy(gated, hw, n).mac, 600 * 2.0 + 400 * 0.5);
  // Horowitz SRAM: 64 KiB lies on the log-log line from 32 KB (20 pJ) to 1 MB (100 pJ).
  const EnergyTable h = LoadEnergyTable(SASIM_SOURCE_DIR "/configs/energy/horowitz45.yaml");
  EXPECT_NEAR(h.SramPjPerByte(64 * 1024) * 8, 20.0 * std::pow(5.0, 1.0 / 5.0), 1e-9);
  EXPECT_NEAR(h.SramPjPerByte(8 * 1024) * 8, 10.0, 1e-9);
  EXPECT_DOUBLE_EQ(h.dram_pj_per_byte, 1300.0 / 8);
}

}  // namespace
}  // namespace sasim
