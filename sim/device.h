// A device a compiled program runs on, chosen behind one interface: the SystemC/TLM platform
// with the Verilated RTL (the truth: cycles, counters, waveforms), the Verilated core clocked
// bare (no SystemC; the same cycles), or the functional device (plain C++, bit-exact outputs and
// every counter that does not depend on timing).
#ifndef SASIM_SIM_DEVICE_H_
#define SASIM_SIM_DEVICE_H_

#include <functional>
#include <memory>
#include <string>
#include <string_view>

#include "contract/hw_config.h"
#include "host/runtime/hal.h"
#include "sim/trace.h"

namespace sasim {

enum class DeviceKind { kPlatform, kBare, kFunctional };
std::string_view DeviceKindName(DeviceKind kind);
// "platform" | "rtl" (the platform), "bare", "functional"; throws InputError otherwise.
DeviceKind ParseDeviceKind(std::string_view name);

class Device {
 public:
  virtual ~Device() = default;
  virtual DeviceKind kind() const = 0;
  // Whether cycle and stall counters are measured (false: they read 0).
  virtual bool timed() const = 0;
  // Runs `host_program` against the device's HAL until it returns; rethrows what it throws.
  // A device runs one host program in its life (SystemC elaborates once per process).
  virtual void Run(const std::function<void(Hal&)>& host_program) = 0;
  // Whether there is RTL to dump a waveform of.
  virtual bool can_trace() const = 0;
  // Asks for a waveform window before Run. Throws InputError where there is no RTL to trace.
  virtual void SetTrace(const TraceRequest& request) = 0;
  virtual TraceResult trace_result() const = 0;
};

// Builds a device for `hw` (a Verilated model must exist for the RTL devices).
std::unique_ptr<Device> MakeDevice(DeviceKind kind, const HwConfig& hw);
// Throws what MakeDevice would, without building a platform (no SystemC object is made: a
// process that forks workers checks its device with this).
void CheckDevice(DeviceKind kind, const HwConfig& hw);

}  // namespace sasim

#endif  // SASIM_SIM_DEVICE_H_
