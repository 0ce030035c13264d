// Runtime: runs compiled layers on a device through the HAL, the way a driver runs a DLA:
// write weights, input and commands to DRAM, point the device at the commands, start it, wait
// for the interrupt, read the counters and the output. Also the course-style calls.
#ifndef SASIM_HOST_RUNTIME_RUNTIME_H_
#define SASIM_HOST_RUNTIME_RUNTIME_H_

#include <array>
#include <cstdint>
#include <functional>
#include <vector>

#include "contract/counters.h"
#include "contract/hw_config.h"
#include "contract/isa.h"
#include "contract/layer.h"
#include "contract/program.h"
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

// Program loading: the command stream and every weight image into DRAM.
void LoadProgram(Hal& hal, const Program& program);
// The network input into DRAM, and layer i's output tensor back.
// `image`: which of a batch's images (Program::batch) is written or read.
void WriteInput(Hal& hal, const Program& program, const std::vector<uint8_t>& chw, int image = 0);
std::vector<uint8_t> ReadLayerOutput(Hal& hal, const Program& program, size_t layer, int image = 0);
// Each layer's own counters: the difference between its snapshot and the previous layer's.
// The program must snapshot every layer (compiler::CompileOptions::snapshot_per_layer).
std::vector<Counters> ReadLayerCounters(Hal& hal, const Program& program);

// Loads a one-layer program, writes the input, runs it, returns output + final counters.
// Throws SimulationError if the device reports an error.
LayerRun RunLayer(Hal& hal, const Program& program, const std::vector<uint8_t>& input_chw);

// Starts the command stream at cmd_addr and waits for its interrupt; returns the counters.
// With `progress`, polls every `poll_cycles` and reports (command index, cycles so far).
Counters RunCommands(Hal& hal, uint32_t cmd_addr,
                     const std::function<void(uint32_t, uint64_t)>& progress = {},
                     uint64_t poll_cycles = 100000);

Counters ReadCounters(Hal& hal);

}  // namespace sasim

#endif  // SASIM_HOST_RUNTIME_RUNTIME_H_
