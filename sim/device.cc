#include "sim/device.h"

#include <fmt/core.h>

#include "contract/errors.h"
#include "host/device/functional_device.h"
#include "sim/bare_device.h"
#include "sim/platform.h"

namespace sasim {
namespace {

class PlatformDevice : public Device {
 public:
  explicit PlatformDevice(const HwConfig& hw) : platform_(hw) {}
  DeviceKind kind() const override { return DeviceKind::kPlatform; }
  bool timed() const override { return true; }
  bool can_trace() const override { return true; }
  void Run(const std::function<void(Hal&)>& host_program) override { platform_.Run(host_program); }
  void SetTrace(const TraceRequest& request) override { platform_.SetTrace(request); }
  TraceResult trace_result() const override { return platform_.trace_result(); }

 private:
  Platform platform_;
};

class BareCoreDevice : public Device {
 public:
  explicit BareCoreDevice(const HwConfig& hw) : bare_(hw) {}
  DeviceKind kind() const override { return DeviceKind::kBare; }
  bool timed() const override { return true; }
  bool can_trace() const override { return true; }
  void Run(const std::function<void(Hal&)>& host_program) override { host_program(bare_); }
  void SetTrace(const TraceRequest& request) override { bare_.core().SetTrace(request); }
  TraceResult trace_result() const override { return bare_.core().trace_result(); }

 private:
  BareDevice bare_;
};

class FunctionalHalDevice : public Device {
 public:
  explicit FunctionalHalDevice(const HwConfig& hw) : device_(hw) {}
  DeviceKind kind() const override { return DeviceKind::kFunctional; }
  bool timed() const override { return false; }
  bool can_trace() const override { return false; }
  void Run(const std::function<void(Hal&)>& host_program) override { host_program(device_); }
  void SetTrace(const TraceRequest&) override {
    throw InputError("the functional device has no RTL to trace; use the platform");
  }
  TraceResult trace_result() const override { return {}; }

 private:
  FunctionalDevice device_;
};

}  // namespace

std::string_view DeviceKindName(DeviceKind kind) {
  switch (kind) {
    case DeviceKind::kPlatform:
      return "platform";
    case DeviceKind::kBare:
      return "bare";
    case DeviceKind::kFunctional:
      return "functional";
  }
  return "?";
}

DeviceKind ParseDeviceKind(std::string_view name) {
  if (name == "platform" || name == "rtl") return DeviceKind::kPlatform;
  if (name == "bare") return DeviceKind::kBare;
  if (name == "functional") return DeviceKind::kFunctional;
  throw InputError(fmt::format("device '{}': expected platform (rtl), bare or functional", name));
}

std::unique_ptr<Device> MakeDevice(DeviceKind kind, const HwConfig& hw) {
  switch (kind) {
    case DeviceKind::kPlatform:
      return std::make_unique<PlatformDevice>(hw);
    case DeviceKind::kBare:
      return std::make_unique<BareCoreDevice>(hw);
    case DeviceKind::kFunctional:
      return std::make_unique<FunctionalHalDevice>(hw);
  }
  throw InputError("unknown device");
}

void CheckDevice(DeviceKind kind, const HwConfig& hw) {
  if (kind == DeviceKind::kFunctional) return;
  BareDevice probe(hw);  // the Verilated core alone: throws when no model matches `hw`
}

}  // namespace sasim
