// FunctionalDevice: the accelerator's command stream executed in plain C++, bit-exact with the
// RTL: same buffers, same DRAM contents afterwards, same counters wherever a counter does not
// depend on timing (cycle and stall counters stay 0; command fetch bytes count the stream up to
// END). The fast path, and a debugging aid when the RTL and the golden model disagree.
#ifndef SASIM_HOST_DEVICE_FUNCTIONAL_DEVICE_H_
#define SASIM_HOST_DEVICE_FUNCTIONAL_DEVICE_H_

#include <array>
#include <cstdint>
#include <vector>

#include "contract/hw_config.h"
#include "contract/isa.h"
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
  void CheckDram(uint32_t addr, size_t size, const char* what) const;
  void Count(isa::Counter c, uint64_t n) { counters_[static_cast<int>(c)] += n; }

  HwConfig hw_;
  std::vector<uint8_t> dram_;
  std::vector<Word> abuf_, wbuf_, obuf_;
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
