// The hardware abstraction layer the runtime drives, like a kernel driver's view of a device:
// MMIO registers, the DRAM the device shares with the host, and the interrupt line.
// Two implementations: FunctionalDevice (plain C++) and the SystemC platform with the
// Verilated RTL (sim/platform.h).
#ifndef SASIM_HOST_RUNTIME_HAL_H_
#define SASIM_HOST_RUNTIME_HAL_H_

#include <cstddef>
#include <cstdint>

namespace sasim {

class Hal {
 public:
  virtual ~Hal() = default;
  virtual void MmioWrite(uint32_t offset, uint32_t value) = 0;
  virtual uint32_t MmioRead(uint32_t offset) = 0;
  virtual void DramWrite(uint32_t addr, const uint8_t* data, size_t size) = 0;
  virtual void DramRead(uint32_t addr, uint8_t* data, size_t size) = 0;
  // Blocks until the device raises its interrupt (returns at once if it is raised).
  virtual void WaitForIrq() = 0;
  // Waits at most `cycles` device cycles; returns whether the interrupt is raised. Lets a
  // driver poll for progress while a long command stream runs.
  virtual bool WaitForIrqFor(uint64_t cycles) {
    (void)cycles;
    WaitForIrq();
    return true;
  }
};

}  // namespace sasim

#endif  // SASIM_HOST_RUNTIME_HAL_H_
