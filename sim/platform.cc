#include "sim/platform.h"

#include <cstdlib>
#include <cstring>
#include <deque>
#include <exception>
#include <utility>

// Verilator's headers first: included after SystemC they switch to SystemC time keeping.
#include "sim/accel_core.h"

#include <systemc>
#include <tlm>
#include <tlm_utils/multi_passthrough_target_socket.h>
#include <tlm_utils/simple_initiator_socket.h>
#include <tlm_utils/simple_target_socket.h>

#include <fmt/core.h>

#include "contract/errors.h"
#include "sim/dram_model.h"

// libsystemc's own main() calls sc_main; our programs have their own main and never call it,
// but the shared library still needs the symbol to link.
int sc_main(int, char**) { return 0; }

namespace sasim {
namespace {

using sc_core::sc_time;
using sc_core::SC_NS;
using sc_core::SC_ZERO_TIME;


// DRAM target: storage and the channel timing model. The time offset that comes with a
// transaction says when it was issued; the returned offset says when its last beat moved.
class DramTarget : public sc_core::sc_module {
 public:
  tlm_utils::simple_target_socket<DramTarget> socket;

  DramTarget(sc_core::sc_module_name name, const HwConfig& hw, sc_time period)
      : sc_module(name), socket("socket"), dram_(hw), period_(period) {
    socket.register_b_transport(this, &DramTarget::BTransport);
  }
  const DramModel& dram() const { return dram_; }

 private:
  void BTransport(tlm::tlm_generic_payload& trans, sc_time& delay) {
    const auto addr = static_cast<uint32_t>(trans.get_address());
    const uint32_t size = trans.get_data_length();
    const uint64_t now = static_cast<uint64_t>((sc_core::sc_time_stamp() + delay) / period_);
    if (trans.is_read()) {
      dram_.Read(addr, trans.get_data_ptr(), size, "DRAM read");
      dram_.CountRead(size);
    } else {
      dram_.Write(addr, trans.get_data_ptr(), size, "DRAM write");
      dram_.CountWrite(size);
    }
    const uint64_t last = dram_.Schedule(now, size);
    delay += period_ * static_cast<double>(last + 1 - now);
    trans.set_response_status(tlm::TLM_OK_RESPONSE);
  }

  DramModel dram_;
  sc_time period_;
};

// Interconnect: routes by address, DRAM below kMmioBase, the accelerator's CSRs at kMmioBase.
class Interconnect : public sc_core::sc_module {
 public:
  tlm_utils::multi_passthrough_target_socket<Interconnect> in;
  tlm_utils::simple_initiator_socket<Interconnect> to_dram;
  tlm_utils::simple_initiator_socket<Interconnect> to_mmio;

  explicit Interconnect(sc_core::sc_module_name name)
      : sc_module(name), in("in"), to_dram("to_dram"), to_mmio("to_mmio") {
    in.register_b_transport(this, &Interconnect::BTransport);
  }
  uint64_t transactions() const { return transactions_; }

 private:
  void BTransport(int /*port*/, tlm::tlm_generic_payload& trans, sc_time& delay) {
    ++transactions_;
    const uint64_t addr = trans.get_address();
    if (addr >= Platform::kMmioBase) {
      trans.set_address(addr - Platform::kMmioBase);
      to_mmio->b_transport(trans, delay);
      trans.set_address(addr);
    } else {
      to_dram->b_transport(trans, delay);
    }
  }
  uint64_t transactions_ = 0;
};

// The Verilated sa_top as an sc_module.
class AcceleratorModule : public sc_core::sc_module, private DramPort {
 public:
  tlm_utils::simple_target_socket<AcceleratorModule> mmio;
  tlm_utils::simple_initiator_socket<AcceleratorModule> dma;
  sc_core::sc_event irq_event;

  SC_HAS_PROCESS(AcceleratorModule);
  AcceleratorModule(sc_core::sc_module_name name, const HwConfig& hw, sc_time period,
                    uint64_t quantum)
      : sc_module(name), mmio("mmio"), dma("dma"), period_(period), quantum_(quantum),
        core_(MakeVerilatedCore(hw, this)) {
    mmio.register_b_transport(this, &AcceleratorModule::MmioTransport);
    SC_THREAD(Main);
  }

  bool irq() const { return core_->irq(); }
  sc_time period() const { return period_; }
  Core& core() { return *core_; }
  const Core& core() const { return *core_; }
  std::exception_ptr error() const { return error_; }
  uint64_t cycles() const { return core_->cycle(); }
  uint64_t syncs() const { return syncs_; }

 private:
  // The core's cycle counter runs only while it is clocked; offset_ maps it to SystemC time.
  uint64_t Now() const { return core_->cycle() + offset_; }

  void MmioTransport(tlm::tlm_generic_payload& trans, sc_time& delay) {
    const auto offset = static_cast<uint32_t>(trans.get_address());
    uint32_t value = 0;
    if (trans.is_write()) {
      std::memcpy(&value, trans.get_data_ptr(), 4);
      writes_.emplace_back(offset, value);
      wake_.notify(delay);
    } else {
      value = core_->CsrRead(offset);
      std::memcpy(trans.get_data_ptr(), &value, 4);
    }
    delay += period_;
    trans.set_response_status(tlm::TLM_OK_RESPONSE);
  }

  void Main() {
    try {
      for (;;) {
        while (writes_.empty()) wait(wake_);
        const auto now = static_cast<uint64_t>(sc_core::sc_time_stamp() / period_);
        if (now > Now()) offset_ = now - core_->cycle();  // idle time passes unclocked
        while (!writes_.empty()) {
          core_->CsrWrite(writes_.front().first, writes_.front().second);
          writes_.pop_front();
        }
        while (core_->running() && !core_->irq()) {
          core_->Run(quantum_);
          SyncTime();
        }
        SyncTime();
        if (core_->irq()) irq_event.notify(SC_ZERO_TIME);
      }
    } catch (...) {
      error_ = std::current_exception();
      irq_event.notify(SC_ZERO_TIME);
    }
  }

  void SyncTime() {
    const sc_time target = period_ * static_cast<double>(Now());
    if (target > sc_core::sc_time_stamp()) {
      wait(target - sc_core::sc_time_stamp());
      ++syncs_;
    }
  }

  uint64_t Transfer(tlm::tlm_command cmd, uint64_t now, uint32_t addr, uint8_t* data,
                    uint32_t size) {
    tlm::tlm_generic_payload trans;
    trans.set_command(cmd);
    trans.set_address(addr);
    trans.set_data_ptr(data);
    trans.set_data_length(size);
    trans.set_streaming_width(size);
    trans.set_response_status(tlm::TLM_INCOMPLETE_RESPONSE);
    sc_time delay = period_ * static_cast<double>(now + offset_) - sc_core::sc_time_stamp();
    dma->b_transport(trans, delay);
    if (trans.is_response_error()) {
      throw SimulationError(fmt::format("DMA {} of {} bytes at 0x{:x}: {}",
                                        cmd == tlm::TLM_READ_COMMAND ? "read" : "write", size,
                                        addr, trans.get_response_string()));
    }
    const auto done = static_cast<uint64_t>((sc_core::sc_time_stamp() + delay) / period_);
    return done - offset_ - 1;
  }
  uint64_t Read(uint64_t now, uint32_t addr, uint8_t* data, uint32_t size) override {
    return Transfer(tlm::TLM_READ_COMMAND, now, addr, data, size);
  }
  uint64_t Write(uint64_t now, uint32_t addr, const uint8_t* data, uint32_t size) override {
    return Transfer(tlm::TLM_WRITE_COMMAND, now, addr, const_cast<uint8_t*>(data), size);
  }

  sc_time period_;
  uint64_t quantum_;
  std::unique_ptr<Core> core_;
  uint64_t offset_ = 0;
  uint64_t syncs_ = 0;
  std::deque<std::pair<uint32_t, uint32_t>> writes_;
  sc_core::sc_event wake_;
  std::exception_ptr error_;
};

// The host CPU: runs the program on its thread; its HAL goes through the interconnect.
class HostModule : public sc_core::sc_module, public Hal {
 public:
  tlm_utils::simple_initiator_socket<HostModule> socket;

  SC_HAS_PROCESS(HostModule);
  HostModule(sc_core::sc_module_name name, AcceleratorModule* accel)
      : sc_module(name), socket("socket"), accel_(accel) {
    SC_THREAD(Main);
  }

  void set_program(std::function<void(Hal&)> program) { program_ = std::move(program); }
  std::exception_ptr error() const { return error_; }

  void MmioWrite(uint32_t offset, uint32_t value) override {
    Access(tlm::TLM_WRITE_COMMAND, Platform::kMmioBase + offset,
           reinterpret_cast<uint8_t*>(&value), 4);
  }
  uint32_t MmioRead(uint32_t offset) override {
    uint32_t value = 0;
    Access(tlm::TLM_READ_COMMAND, Platform::kMmioBase + offset,
           reinterpret_cast<uint8_t*>(&value), 4);
    return value;
  }
  void DramWrite(uint32_t addr, const uint8_t* data, size_t size) override {
    Access(tlm::TLM_WRITE_COMMAND, addr, const_cast<uint8_t*>(data), size);
  }
  void DramRead(uint32_t addr, uint8_t* data, size_t size) override {
    Access(tlm::TLM_READ_COMMAND, addr, data, size);
  }
  void WaitForIrq() override {
    while (!accel_->irq() && !accel_->error()) wait(accel_->irq_event);
    if (accel_->error()) std::rethrow_exception(accel_->error());
  }
  bool WaitForIrqFor(uint64_t cycles) override {
    if (!accel_->irq() && !accel_->error()) {
      wait(accel_->period() * static_cast<double>(cycles), accel_->irq_event);
    }
    if (accel_->error()) std::rethrow_exception(accel_->error());
    return accel_->irq();
  }

 private:
  void Access(tlm::tlm_command cmd, uint64_t addr, uint8_t* data, size_t size) {
    tlm::tlm_generic_payload trans;
    trans.set_command(cmd);
    trans.set_address(addr);
    trans.set_data_ptr(data);
    trans.set_data_length(static_cast<unsigned>(size));
    trans.set_streaming_width(static_cast<unsigned>(size));
    trans.set_response_status(tlm::TLM_INCOMPLETE_RESPONSE);
    sc_time delay = SC_ZERO_TIME;
    socket->b_transport(trans, delay);
    if (trans.is_response_error()) {
      throw SimulationError(fmt::format("host access at 0x{:x}: {}", addr,
                                        trans.get_response_string()));
    }
    wait(delay);  // the host is a simple in-order CPU: it waits for each access
  }

  void Main() {
    try {
      if (program_) program_(*this);
    } catch (...) {
      error_ = std::current_exception();
    }
    sc_core::sc_stop();
  }

  AcceleratorModule* accel_;
  std::function<void(Hal&)> program_;
  std::exception_ptr error_;
};

}  // namespace

struct Platform::Modules {
  Modules(const HwConfig& hw, uint64_t quantum)
      : period(1000.0 / hw.clock_mhz, SC_NS),
        dram("dram", hw, period),
        bus("bus"),
        accel("accel", hw, period, quantum),
        host("host", &accel) {
    host.socket.bind(bus.in);
    accel.dma.bind(bus.in);
    bus.to_dram.bind(dram.socket);
    bus.to_mmio.bind(accel.mmio);
  }
  sc_time period;
  DramTarget dram;
  Interconnect bus;
  AcceleratorModule accel;
  HostModule host;
};

Platform::Platform(const HwConfig& hw, uint64_t quantum_cycles) {
  setenv("SYSTEMC_DISABLE_COPYRIGHT_MESSAGE", "1", 0);
  // The host program ends the simulation with sc_stop(); that is not news.
  sc_core::sc_report_handler::set_actions("/OSCI/SystemC", sc_core::SC_INFO,
                                          sc_core::SC_DO_NOTHING);
  if (sc_core::sc_get_status() != sc_core::SC_ELABORATION) {
    throw SimulationError("a process can elaborate one SystemC platform only");
  }
  modules_ = std::make_unique<Modules>(hw, quantum_cycles);
}

Platform::~Platform() = default;

void Platform::Run(const std::function<void(Hal&)>& host_program) {
  modules_->host.set_program(host_program);
  sc_core::sc_start();
  if (modules_->host.error()) std::rethrow_exception(modules_->host.error());
}

void Platform::SetTrace(const TraceRequest& request) {
  modules_->accel.core().SetTrace(request);
}

TraceResult Platform::trace_result() const { return modules_->accel.core().trace_result(); }

PlatformStats Platform::stats() const {
  PlatformStats s;
  s.accel_cycles = modules_->accel.cycles();
  s.dram_read_bytes = modules_->dram.dram().bytes_read();
  s.dram_write_bytes = modules_->dram.dram().bytes_written();
  s.tlm_transactions = modules_->bus.transactions();
  s.time_syncs = modules_->accel.syncs();
  s.simulated_seconds = sc_core::sc_time_stamp().to_seconds();
  return s;
}

}  // namespace sasim
