// BareDevice: the Verilated accelerator behind the HAL without SystemC: the core is clocked
// directly and its DMA port calls the DRAM model. The reference point for the platform's
// overhead (bench/bench_platform) and a quick harness for RTL tests.
#ifndef SASIM_SIM_BARE_DEVICE_H_
#define SASIM_SIM_BARE_DEVICE_H_

#include <memory>

#include "host/runtime/hal.h"
#include "sim/accel_core.h"
#include "sim/dram_model.h"

namespace sasim {

class BareDevice : public Hal {
 public:
  explicit BareDevice(const HwConfig& hw)
      : hw_(hw), dram_(hw), port_(&dram_), core_(MakeVerilatedCore(hw, &port_)) {}

  void MmioWrite(uint32_t offset, uint32_t value) override { core_->CsrWrite(offset, value); }
  uint32_t MmioRead(uint32_t offset) override { return core_->CsrRead(offset); }
  void DramWrite(uint32_t addr, const uint8_t* data, size_t size) override {
    dram_.Write(addr, data, size, "host write");
  }
  void DramRead(uint32_t addr, uint8_t* data, size_t size) override {
    dram_.Read(addr, data, size, "host read");
  }
  void WaitForIrq() override {
    while (!core_->irq()) {
      if (!core_->running()) {
        throw SimulationError("waiting for an interrupt while the accelerator is stopped");
      }
      core_->Run(1u << 20);
    }
  }
  bool WaitForIrqFor(uint64_t cycles) override {
    if (!core_->irq() && core_->running()) core_->Run(cycles);
    if (!core_->irq() && !core_->running()) {
      throw SimulationError("waiting for an interrupt while the accelerator is stopped");
    }
    return core_->irq();
  }
  Core& core() { return *core_; }
  const Core& core() const { return *core_; }

 private:
  HwConfig hw_;
  DramModel dram_;
  DirectDramPort port_;
  std::unique_ptr<Core> core_;
};

}  // namespace sasim

#endif  // SASIM_SIM_BARE_DEVICE_H_
