// A deliberately broken command stream (a SYNC waiting for a DMA job that was never issued)
// must stop the simulation with the watchdog's error, naming the cycle, the controller state
// and the command, instead of hanging. On the SystemC platform and on the bare core.
#include <string>

#include <gtest/gtest.h>

#include "compiler/layer_compiler.h"
#include "contract/errors.h"
#include "host/runtime/runtime.h"
#include "sim/bare_device.h"
#include "sim/platform.h"
#include "tests/layer_cases.h"

namespace sasim {
namespace {

constexpr uint32_t kCmdAddr = 0x1000;

// LOAD (one job), then SYNC for two DMA jobs: the second never comes.
void WriteBrokenStream(Hal& hal) {
  std::vector<isa::CommandWords> cmds;
  cmds.push_back(isa::EncodeTransfer(isa::Opcode::kLoad,
                                     {isa::Buffer::kAct, 0x10000, 0, 0, 0, 4, 1}));
  cmds.push_back(isa::EncodeSync({2, 0}));
  cmds.push_back(isa::EncodeEnd());
  const auto bytes = isa::CommandBytes(cmds);
  hal.DramWrite(kCmdAddr, bytes.data(), bytes.size());
}

void ExpectWatchdogMessage(const std::string& what, const HwConfig& hw) {
  EXPECT_NE(what.find("watchdog: no progress for " + std::to_string(hw.watchdog_cycles)),
            std::string::npos) << what;
  EXPECT_NE(what.find("at cycle"), std::string::npos) << what;
  EXPECT_NE(what.find("controller state SYNC"), std::string::npos) << what;
  EXPECT_NE(what.find("last command #1: SYNC dma>=2 compute>=0"), std::string::npos) << what;
}

TEST(WatchdogTest, FiresOnThePlatform) {
  HwConfig hw = testcases::SmallHw();
  hw.watchdog_cycles = 2000;
  Platform platform(hw);
  std::string error;
  platform.Run([&](Hal& hal) {
    WriteBrokenStream(hal);
    try {
      RunCommands(hal, kCmdAddr);
    } catch (const SimulationError& e) {
      error = e.what();
    }
  });
  ExpectWatchdogMessage(error, hw);
  // It stopped soon after the watchdog's limit, not at the end of time.
  EXPECT_LT(platform.stats().accel_cycles, 3u * hw.watchdog_cycles);
}

TEST(WatchdogTest, FiresOnTheBareCore) {
  HwConfig hw = testcases::SmallHw();
  hw.watchdog_cycles = 1000;
  BareDevice device(hw);
  WriteBrokenStream(device);
  try {
    RunCommands(device, kCmdAddr);
    FAIL() << "expected the watchdog";
  } catch (const SimulationError& e) {
    ExpectWatchdogMessage(e.what(), hw);
  }
}

TEST(WatchdogTest, IllegalOpcodeStopsWithAnError) {
  HwConfig hw = testcases::SmallHw();
  BareDevice device(hw);
  isa::CommandWords bad{};
  bad[0] = 0x3f;
  const auto bytes = isa::CommandBytes({bad});
  device.DramWrite(kCmdAddr, bytes.data(), bytes.size());
  try {
    RunCommands(device, kCmdAddr);
    FAIL() << "expected an error";
  } catch (const SimulationError& e) {
    EXPECT_NE(std::string(e.what()).find("opcode 63"), std::string::npos) << e.what();
    EXPECT_NE(std::string(e.what()).find("ERROR"), std::string::npos) << e.what();
  }
}

}  // namespace
}  // namespace sasim
