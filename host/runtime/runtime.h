// Runtime: runs compiled layers on a device through the HAL, the way a driver runs a DLA:
// write weights, input and commands to DRAM, point the device at the commands, start it, wait
// for the interrupt, read the counters and the output. Also the course-style calls.
#ifndef SASIM_HOST_RUNTIME_RUNTIME_H_
#define SASIM_HOST_RUNTIME_RUNTIME_H_

#include <array>
#include <cstdint>
#include <functional>
#include <vector>

#include "compiler/layer_compiler.h"
#include "contract/counters.h"
#include "contract/hw_config.h"
#include "contract/isa.h"
#include "host/runtime/hal.h"

namespace sasim {

struct LayerRun {
  std::vector<uint8_t> output;  // CHW uint8, after the optional pool
  Counters counters{};
};

// Activation tensors live in DRAM in the C16 layout (contract/layout.h); these move a CHW
// uint8 tensor in and out.
void WriteTensor(Hal& hal, uint32_t addr, const std::vector<uint8_t>& chw, int channels,
                 int height, int width);
std::vector<uint8_t> ReadTensor(Hal& hal, uint32_t addr, int channels, int height, int width);

// Writes the program's command stream, weights and input, runs it, returns output + counters.
// Throws SimulationError if the device reports an error.
LayerRun RunLayer(Hal& hal, const compiler::LayerProgram& program,
                  const std::vector<uint8_t>& input_chw);

// Starts the command stream at cmd_addr and waits for its interrupt; returns the counters.
// With `progress`, polls every `poll_cycles` and reports (command index, cycles so far).
Counters RunCommands(Hal& hal, uint32_t cmd_addr,
                     const std::function<void(uint32_t, uint64_t)>& progress = {},
                     uint64_t poll_cycles = 100000);

Counters ReadCounters(Hal& hal);

// Course-style driver calls (compile for `hw` at `base_addr`, run, return output + counters).
LayerRun QConv2d(Hal& hal, const HwConfig& hw, const ConvShape& shape,
                 const std::vector<uint8_t>& input, const std::vector<int8_t>& weights,
                 const std::vector<int32_t>& bias, const RequantParams& requant, bool pool,
                 uint32_t base_addr = 0x1000);
LayerRun QConv2dRelu(Hal& hal, const HwConfig& hw, const ConvShape& shape,
                     const std::vector<uint8_t>& input, const std::vector<int8_t>& weights,
                     const std::vector<int32_t>& bias, int shift, Rounding rounding);
LayerRun QConv2dReluMaxpool(Hal& hal, const HwConfig& hw, const ConvShape& shape,
                            const std::vector<uint8_t>& input, const std::vector<int8_t>& weights,
                            const std::vector<int32_t>& bias, int shift, Rounding rounding);
LayerRun QLinear(Hal& hal, const HwConfig& hw, int in_features, int out_features,
                 const std::vector<uint8_t>& input, const std::vector<int8_t>& weights,
                 const std::vector<int32_t>& bias, int shift, Rounding rounding);
LayerRun QLinearRelu(Hal& hal, const HwConfig& hw, int in_features, int out_features,
                     const std::vector<uint8_t>& input, const std::vector<int8_t>& weights,
                     const std::vector<int32_t>& bias, int shift, Rounding rounding);

}  // namespace sasim

#endif  // SASIM_HOST_RUNTIME_RUNTIME_H_
