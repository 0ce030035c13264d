// VerilatedHarness: one Verilated model with its own VerilatedContext, and the few things every
// user of a model does: reset, clock, evaluate, finish, and turn an RTL error into an exception.
// The core (sim/accel_core.h), the array driver (sim/array_driver.h) and the RTL tests all clock
// their models through it, so the clocking convention is written once:
//
//   inputs change while the clock is low; Tick() evaluates with the clock low (inputs settle),
//   lets the caller sample what the rising edge will consume, then raises the clock and
//   evaluates again, so outputs read after Tick() are those of the new cycle.
//
// A failed RTL assertion (rtl/sa_assert.svh) or $stop would abort the process by default; here
// the context is told not to (fatalOnError(false)) and every evaluation checks for an error and
// throws SimulationError, which the simulator reports like a watchdog stop.
//
// Port helpers: Verilator represents a port of up to 64 bits as an integer and a wider one as
// a VlWide array of 32-bit words; PutBits / GetBits read and write a bit field of either, so
// flat vector ports (rtl/ has no unpacked-array ports, for Yosys) are easy to drive.
#ifndef SASIM_SIM_VERILATED_HARNESS_H_
#define SASIM_SIM_VERILATED_HARNESS_H_

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <type_traits>

#include <fmt/core.h>

#include "contract/errors.h"
#include "verilated.h"

namespace sasim {

// ---- Bit fields of Verilated ports ----

template <class Port>
std::enable_if_t<std::is_integral_v<Port>> PutBits(Port& port, int lsb, int width,
                                                   uint64_t value) {
  const uint64_t mask = width >= 64 ? ~uint64_t{0} : ((uint64_t{1} << width) - 1);
  uint64_t v = static_cast<uint64_t>(port);
  v = (v & ~(mask << lsb)) | ((value & mask) << lsb);
  port = static_cast<Port>(v);
}

template <class Port>
std::enable_if_t<std::is_integral_v<Port>, uint64_t> GetBits(const Port& port, int lsb,
                                                            int width) {
  const uint64_t mask = width >= 64 ? ~uint64_t{0} : ((uint64_t{1} << width) - 1);
  return (static_cast<uint64_t>(port) >> lsb) & mask;
}

// Word by word: a field spans at most three 32-bit words of the port.
template <std::size_t N>
void PutBits(VlWide<N>& port, int lsb, int width, uint64_t value) {
  while (width > 0) {
    const int word = lsb / 32, offset = lsb % 32;
    const int n = std::min(width, 32 - offset);
    const EData mask = (n == 32 ? ~EData{0} : ((EData{1} << n) - 1)) << offset;
    port[word] = (port[word] & ~mask) | ((static_cast<EData>(value) << offset) & mask);
    value >>= n;
    lsb += n;
    width -= n;
  }
}

template <std::size_t N>
uint64_t GetBits(const VlWide<N>& port, int lsb, int width) {
  uint64_t v = 0;
  int shift = 0;
  while (width > 0) {
    const int word = lsb / 32, offset = lsb % 32;
    const int n = std::min(width, 32 - offset);
    const EData mask = n == 32 ? ~EData{0} : ((EData{1} << n) - 1);
    v |= static_cast<uint64_t>((port[word] >> offset) & mask) << shift;
    shift += n;
    lsb += n;
    width -= n;
  }
  return v;
}

// ---- The harness ----

template <class Model>
class VerilatedHarness {
 public:
  // `trace`: the model may open a waveform dump later (Verilator needs to know before it is
  // built).
  explicit VerilatedHarness(const std::string& name, bool trace = false)
      : name_(name), context_(std::make_unique<VerilatedContext>()) {
    context_->fatalOnError(false);
    context_->commandArgs(0, static_cast<const char**>(nullptr));
    if (trace) context_->traceEverOn(true);
    Bind();
    model_ = std::make_unique<Model>(context_.get(), name_.c_str());
  }
  ~VerilatedHarness() {
    Bind();
    model_->final();
  }
  VerilatedHarness(const VerilatedHarness&) = delete;
  VerilatedHarness& operator=(const VerilatedHarness&) = delete;

  Model* operator->() { return model_.get(); }
  const Model* operator->() const { return model_.get(); }
  Model& model() { return *model_; }
  VerilatedContext& context() { return *context_; }
  // Clock cycles since the end of Reset().
  uint64_t cycle() const { return cycle_; }

  // Settles combinational logic after an input change, without a clock edge.
  void Eval() {
    Bind();
    model_->eval();
    Check();
  }

  // Holds rst_ni low with the clock low, then for `cycles` clock cycles, releases it and runs
  // one more cycle; cycle() restarts at 0. A cycle is `step()` (default: Tick()), for callers
  // whose cycle does more (e.g. serve a memory port).
  template <class Step>
  void Reset(int cycles, Step&& step) {
    model_->rst_ni = 0;
    model_->clk_i = 0;
    Eval();
    for (int i = 0; i < cycles; ++i) step();
    model_->rst_ni = 1;
    step();
    cycle_ = 0;
  }
  void Reset(int cycles = 2) {
    Reset(cycles, [this] { Tick(); });
  }

  // One clock cycle: clock low and evaluate (inputs settle), `before_edge()`, clock high and
  // evaluate.
  template <class BeforeEdge>
  void Tick(BeforeEdge&& before_edge) {
    Settle();
    before_edge();
    Edge();
  }
  void Tick() {
    Tick([] {});
  }

  // The two halves of Tick(), for callers that interleave work (a waveform dump) between them.
  void Settle() {
    model_->clk_i = 0;
    Eval();
  }
  void Edge() {
    context_->timeInc(1);
    model_->clk_i = 1;
    Eval();
    context_->timeInc(1);
    ++cycle_;
  }

 private:
  // Errors reported from inside the model go to the thread's context: make it this one.
  void Bind() { Verilated::threadContextp(context_.get()); }
  void Check() {
    if (context_->gotError()) {
      throw SimulationError(fmt::format(
          "RTL error in Verilated model '{}' at cycle {}: an assertion failed or $stop ran "
          "(the %Error line printed above names it)",
          name_, cycle_));
    }
  }

  std::string name_;
  std::unique_ptr<VerilatedContext> context_;
  std::unique_ptr<Model> model_;
  uint64_t cycle_ = 0;
};

}  // namespace sasim

#endif  // SASIM_SIM_VERILATED_HARNESS_H_
