// A compiled program as plain data: what the compiler produces and the runtime consumes. The
// runtime writes the command stream and the weight images to DRAM, writes the input tensor,
// starts the stream and reads every layer's output tensor and counter snapshot back; it needs
// nothing else about the network or the compiler.
#ifndef SASIM_CONTRACT_PROGRAM_H_
#define SASIM_CONTRACT_PROGRAM_H_

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "contract/isa.h"
#include "contract/layer.h"

namespace sasim {

// Bytes the host writes to DRAM before the run (a weight image).
struct DramSegment {
  uint32_t addr = 0;
  std::vector<uint8_t> bytes;
};

// Layer i of the network, as the program lays it out.
struct ProgramLayer {
  std::string name;          // for messages and progress
  uint32_t output_addr = 0;  // C16 tensor
  TensorShape output;
  uint32_t snapshot_addr = 0;  // counters at the layer's end; 0 when not snapshotted
  size_t first_command = 0;    // [first_command, end_command) of the stream: the next layer's
  size_t end_command = 0;      // first command; the last layer's includes the closing SYNC, END
  uint64_t estimated_cycles = 0;  // the compiler's cost model, for progress
};

// A batch: `batch` images per run; the input and every layer's output hold one C16 tensor per
// image, one after another (image k at addr + k * C16Bytes of the shape, contract/layout.h).
struct Program {
  int batch = 1;
  uint32_t cmd_addr = 0;
  std::vector<isa::CommandWords> commands;
  std::vector<DramSegment> segments;  // weight images
  uint32_t input_addr = 0;            // C16 tensor
  TensorShape input;
  std::vector<ProgramLayer> layers;
  uint32_t dram_end = 0;  // first byte past everything the program uses
};

}  // namespace sasim

#endif  // SASIM_CONTRACT_PROGRAM_H_
