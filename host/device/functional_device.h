// FunctionalDevice: the accelerator's command stream executed in plain C++, bit-exact with the
// RTL: same buffers, same DRAM contents afterwards, same counters wherever a counter does not
// depend on timing (cycle and stall counters stay 0; command fetch bytes count the stream up to
// END). The fast path, and a debugging aid when the RTL and the golden model disagree.
// Like the array, it keeps the PE accumulators of the last fold between commands (COMPUTE's
// acc_in / acc_out partial sums). A command the RTL would reject (its assertions) is refused
// with a SimulationError naming the command: partial sums over more than one fold, a read or
// write past a buffer, a VECTOR that isa::Validate refuses or an average window reaching outside
// the input.
#ifndef SASIM_HOST_DEVICE_FUNCTIONAL_DEVICE_H_
#define SASIM_HOST_DEVICE_FUNCTIONAL_DEVICE_H_

#include <array>
#include <cstdint>
#include <string>
#include <vector>

#include "contract/hw_config.h"
#include "contract/isa.h"
#include "contract/zeroed_bytes.h"
#include "host/runtime/hal.h"

namespace sasim {

class FunctionalDevice : public Hal {
 public:
  explicit FunctionalDevice(const HwConfig& hw);

  void MmioWrite(uint32_t offset, uint32_t value) override;
  uint32_t MmioRead(uint32_t offset) override;
  void DramWrite(uint32_t addr, const uint8_t* data, size_t size) override;
  void DramRead(uint32_t addr, uint8_t* data, size_t size) override;
  void WaitForIrq() override;

 private:
  using Word = std::array<uint8_t, 16>;
  void Run();
  void Transfer(isa::Opcode op, const isa::Transfer& t);
  void Compute(const isa::Compute& c);
  void Vector(const isa::Vector& v);
  // Writes output buffer word `addr`, counting the write; refuses one past the buffer.
  void WriteOut(uint64_t addr, const uint8_t* bytes, int first, int lanes);
  // Throws SimulationError naming the command being executed.
  [[noreturn]] void Reject(const std::string& why) const;
  void CheckDram(uint32_t addr, size_t size, const char* what) const;
  void Count(isa::Counter c, uint64_t n) { counters_[static_cast<int>(c)] += n; }

  HwConfig hw_;
  ZeroedBytes dram_;
  std::vector<Word> abuf_, wbuf_, obuf_;
  // The array's PE accumulators, row by row, as the last fold left them (int32, 16 columns).
  std::vector<std::vector<int32_t>> pe_acc_;  // [array row][array column]
  isa::CommandWords command_{};  // the command being executed
  std::array<uint64_t, isa::kNumCounters> counters_{};
  uint32_t cmd_base_ = 0;
  uint32_t cmd_index_ = 0;
  uint32_t last_opcode_ = 0;
  bool irq_enable_ = false;
  bool irq_pending_ = false;
  bool done_ = false;
  bool error_ = false;
};

}  // namespace sasim

#endif  // SASIM_HOST_DEVICE_FUNCTIONAL_DEVICE_H_
