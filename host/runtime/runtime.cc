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

void LoadProgram(Hal& hal, const Program& program) {
  const auto cmd = isa::CommandBytes(program.commands);
  hal.DramWrite(program.cmd_addr, cmd.data(), cmd.size());
  for (const auto& segment : program.segments) {
    hal.DramWrite(segment.addr, segment.bytes.data(), segment.bytes.size());
  }
}

namespace {

uint32_t ImageAddr(const Program& program, uint32_t addr, const TensorShape& t, int image) {
  if (image < 0 || image >= program.batch) {
    throw SimulationError(fmt::format("image {} of a batch of {}", image, program.batch));
  }
  return addr + static_cast<uint32_t>(image) * C16Bytes(t.channels, t.height, t.width);
}

}  // namespace

void WriteInput(Hal& hal, const Program& program, const std::vector<uint8_t>& chw, int image) {
  const TensorShape& t = program.input;
  if (chw.size() != static_cast<size_t>(t.elements())) {
    throw SimulationError(fmt::format("input has {} elements, the program takes {}x{}x{}",
                                      chw.size(), t.channels, t.height, t.width));
  }
  WriteTensor(hal, ImageAddr(program, program.input_addr, t, image), chw, t.channels, t.height,
              t.width);
}

std::vector<uint8_t> ReadLayerOutput(Hal& hal, const Program& program, size_t layer, int image) {
  const ProgramLayer& l = program.layers.at(layer);
  return ReadTensor(hal, ImageAddr(program, l.output_addr, l.output, image), l.output.channels,
                    l.output.height, l.output.width);
}

std::vector<Counters> ReadLayerCounters(Hal& hal, const Program& program) {
  std::vector<Counters> deltas;
  Counters previous{};
  for (const auto& layer : program.layers) {
    if (layer.snapshot_addr == 0) {
      throw SimulationError(fmt::format("layer '{}' has no counter snapshot", layer.name));
    }
    std::array<uint8_t, isa::kSnapshotBytes> bytes{};
    hal.DramRead(layer.snapshot_addr, bytes.data(), bytes.size());
    const Counters now = CountersFromSnapshot(bytes.data());
    deltas.push_back(Delta(now, previous));
    previous = now;
  }
  return deltas;
}

LayerRun RunLayer(Hal& hal, const Program& program, const std::vector<uint8_t>& input) {
  LoadProgram(hal, program);
  WriteInput(hal, program, input);
  LayerRun run;
  run.counters = RunCommands(hal, program.cmd_addr);
  run.output = ReadLayerOutput(hal, program, program.layers.size() - 1);
  return run;
}

}  // namespace sasim
