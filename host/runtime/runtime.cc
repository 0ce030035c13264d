#include "host/runtime/runtime.h"

#include <fmt/core.h>

#include "contract/errors.h"
#include "contract/layout.h"

namespace sasim {

namespace csr = isa::csr;

Counters ReadCounters(Hal& hal) {
  Counters c{};
  for (int i = 0; i < isa::kNumCounters; ++i) {
    const uint64_t lo = hal.MmioRead(csr::kCounterBase + 8 * i);
    const uint64_t hi = hal.MmioRead(csr::kCounterBase + 8 * i + 4);
    c[i] = lo | (hi << 32);
  }
  return c;
}

Counters RunCommands(Hal& hal, uint32_t cmd_addr,
                     const std::function<void(uint32_t, uint64_t)>& progress,
                     uint64_t poll_cycles) {
  if (hal.MmioRead(csr::kId) != csr::kIdValue) {
    throw SimulationError("device does not answer with the sasim ID register");
  }
  hal.MmioWrite(csr::kIrqStatus, 1);
  hal.MmioWrite(csr::kIrqEnable, 1);
  hal.MmioWrite(csr::kCmdBase, cmd_addr);
  hal.MmioWrite(csr::kCtrl, 1);
  try {
    if (progress) {
      while (!hal.WaitForIrqFor(poll_cycles)) {
        const uint64_t cycles = hal.MmioRead(csr::kCounterBase) |
                                (uint64_t{hal.MmioRead(csr::kCounterBase + 4)} << 32);
        progress(hal.MmioRead(csr::kCmdIndex), cycles);
      }
    } else {
      hal.WaitForIrq();
    }
  } catch (const SimulationError& e) {
    // Name the command the controller was stuck on, read back from the stream in DRAM.
    const uint32_t index = hal.MmioRead(csr::kCmdIndex);
    isa::CommandWords words{};
    hal.DramRead(cmd_addr + index * isa::kCommandBytes, reinterpret_cast<uint8_t*>(words.data()),
                 isa::kCommandBytes);
    throw SimulationError(fmt::format("{}; last command #{}: {}", e.what(), index,
                                      isa::Describe(words)));
  }
  const uint32_t status = hal.MmioRead(csr::kStatus);
  hal.MmioWrite(csr::kIrqStatus, 1);
  if (status & 4) {
    throw SimulationError(fmt::format(
        "device stopped with an error at command #{} (opcode {}), controller state {}",
        hal.MmioRead(csr::kCmdIndex), hal.MmioRead(csr::kLastOpcode),
        isa::CtrlStateName(hal.MmioRead(csr::kCtrlState))));
  }
  if (!(status & 2)) throw SimulationError("interrupt without DONE status");
  return ReadCounters(hal);
}

void WriteTensor(Hal& hal, uint32_t addr, const std::vector<uint8_t>& chw, int channels,
                 int height, int width) {
  const auto packed = PackC16(chw, channels, height, width);
  hal.DramWrite(addr, packed.data(), packed.size());
}

std::vector<uint8_t> ReadTensor(Hal& hal, uint32_t addr, int channels, int height, int width) {
  std::vector<uint8_t> c16(C16Bytes(channels, height, width));
  hal.DramRead(addr, c16.data(), c16.size());
  return UnpackC16(c16, channels, height, width);
}

LayerRun RunLayer(Hal& hal, const compiler::LayerProgram& p, const std::vector<uint8_t>& input) {
  const ConvShape& s = p.layer.shape;
  const auto cmd = compiler::CommandBytes(p.commands);
  hal.DramWrite(p.cmd_addr, cmd.data(), cmd.size());
  hal.DramWrite(p.place.weight_addr, p.lowered.weight_image.data(),
                p.lowered.weight_image.size());
  WriteTensor(hal, p.place.input_addr, input, s.in_channels, s.in_height, s.in_width);

  LayerRun run;
  run.counters = RunCommands(hal, p.cmd_addr);
  run.output = ReadTensor(hal, p.place.output_addr, compiler::OutChannels(p.layer),
                          compiler::OutHeight(p.layer), compiler::OutWidth(p.layer));
  return run;
}

LayerRun QConv2d(Hal& hal, const HwConfig& hw, const ConvShape& shape,
                 const std::vector<uint8_t>& input, const std::vector<int8_t>& weights,
                 const std::vector<int32_t>& bias, const RequantParams& requant, bool pool,
                 uint32_t base_addr) {
  compiler::ConvLayer layer;
  layer.name = "qconv2d";
  layer.shape = shape;
  layer.requant = requant;
  layer.pool = pool;
  layer.weights = weights;
  layer.bias = bias;
  return RunLayer(hal, compiler::CompileLayer(layer, hw, base_addr), input);
}

LayerRun QConv2dRelu(Hal& hal, const HwConfig& hw, const ConvShape& shape,
                     const std::vector<uint8_t>& input, const std::vector<int8_t>& weights,
                     const std::vector<int32_t>& bias, int shift, Rounding rounding) {
  return QConv2d(hal, hw, shape, input, weights, bias, {true, shift, rounding}, false);
}

LayerRun QConv2dReluMaxpool(Hal& hal, const HwConfig& hw, const ConvShape& shape,
                            const std::vector<uint8_t>& input, const std::vector<int8_t>& weights,
                            const std::vector<int32_t>& bias, int shift, Rounding rounding) {
  return QConv2d(hal, hw, shape, input, weights, bias, {true, shift, rounding}, true);
}

LayerRun QLinear(Hal& hal, const HwConfig& hw, int in_features, int out_features,
                 const std::vector<uint8_t>& input, const std::vector<int8_t>& weights,
                 const std::vector<int32_t>& bias, int shift, Rounding rounding) {
  return QConv2d(hal, hw, ConvShape{in_features, 1, 1, out_features, 1, 1, 1, 0}, input,
                 weights, bias, {false, shift, rounding}, false);
}

LayerRun QLinearRelu(Hal& hal, const HwConfig& hw, int in_features, int out_features,
                     const std::vector<uint8_t>& input, const std::vector<int8_t>& weights,
                     const std::vector<int32_t>& bias, int shift, Rounding rounding) {
  return QConv2d(hal, hw, ConvShape{in_features, 1, 1, out_features, 1, 1, 1, 0}, input,
                 weights, bias, {true, shift, rounding}, false);
}

}  // namespace sasim
