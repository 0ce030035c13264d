// The Verilated sa_top, clocked by plain C++: drives its DRAM master port from a DramPort,
// gives CSR access, and watches for lost progress. Used bare (benches, tests) and inside the
// SystemC platform (sim/platform.h), which only adds the TLM sockets around it.
#ifndef SASIM_SIM_ACCEL_CORE_H_
#define SASIM_SIM_ACCEL_CORE_H_

#include <cstdint>
#include <cstring>
#include <deque>
#include <memory>
#include <optional>
#include <string>

#include <fmt/core.h>

#include "contract/errors.h"
#include "contract/hw_config.h"
#include "contract/isa.h"
#include "sim/dram_model.h"
#include "sim/trace.h"
#include "sim/vcd_file.h"
#include "sim/verilated_harness.h"
#include "verilated_vcd_c.h"

namespace sasim {

class Core {
 public:
  virtual ~Core() = default;
  // A CSR write takes one clock cycle; a read is combinational.
  virtual void CsrWrite(uint32_t offset, uint32_t value) = 0;
  virtual uint32_t CsrRead(uint32_t offset) = 0;
  virtual bool irq() = 0;
  virtual bool running() = 0;  // the controller is executing a command stream
  virtual uint64_t cycle() const = 0;
  // Runs until the interrupt rises, the controller stops, or max_cycles pass; returns the
  // cycles run. Throws SimulationError when the watchdog fires.
  virtual uint64_t Run(uint64_t max_cycles) = 0;
  // The dump is opened when the window starts and closed when it ends (or at the destructor).
  virtual void SetTrace(const TraceRequest& request) = 0;
  virtual TraceResult trace_result() const = 0;
};

// Verilated cores built for the shipped hw configs (sim/models.cc, generated).
std::unique_ptr<Core> MakeVerilatedCore(const HwConfig& hw, DramPort* port);

template <class Model>
class AccelCore : public Core {
 public:
  AccelCore(const HwConfig& hw, DramPort* port)
      : hw_(hw), port_(port), sim_("accel", /*trace=*/true) {
    sim_->rd_req_ready_i = 1;
    sim_->wr_req_ready_i = 1;
    sim_->wr_data_ready_i = 1;
    sim_.Reset(2, [this] { Step(); });
  }
  ~AccelCore() override { CloseTrace(); }

  void SetTrace(const TraceRequest& request) override { trace_request_ = request; }
  TraceResult trace_result() const override {
    TraceResult r = trace_result_;
    if (vcd_file_ && r.error.empty()) r.error = vcd_file_->error();
    return r;
  }

  void CsrWrite(uint32_t offset, uint32_t value) override {
    sim_->csr_valid_i = 1;
    sim_->csr_write_i = 1;
    sim_->csr_addr_i = offset;
    sim_->csr_wdata_i = value;
    Step();
    sim_->csr_valid_i = 0;
    sim_->csr_write_i = 0;
    last_progress_ = cycle();
  }

  uint32_t CsrRead(uint32_t offset) override {
    sim_->csr_addr_i = offset;
    sim_.Eval();
    return sim_->csr_rdata_o;
  }

  bool irq() override { return sim_->irq_o; }
  bool running() override {
    const auto s = static_cast<isa::CtrlState>(sim_->dbg_state_o);
    return s == isa::CtrlState::kFetch || s == isa::CtrlState::kDispatch ||
           s == isa::CtrlState::kSync;
  }
  uint64_t cycle() const override { return sim_.cycle(); }

  uint64_t Run(uint64_t max_cycles) override {
    const uint64_t start = cycle();
    while (cycle() - start < max_cycles) {
      // The window is decided before the cycle is stepped, from the state the last edge left.
      if (trace_request_) UpdateTraceWindow();
      Step();
      if (sim_->dbg_progress_o) last_progress_ = cycle();
      if (sim_->irq_o || !running()) break;
      if (cycle() - last_progress_ > hw_.watchdog_cycles) {
        throw SimulationError(fmt::format(
            "watchdog: no progress for {} cycles, at cycle {}: controller state {}, "
            "command #{} (opcode {})",
            hw_.watchdog_cycles, cycle(), isa::CtrlStateName(sim_->dbg_state_o),
            sim_->dbg_cmd_index_o, int{sim_->dbg_opcode_o}));
      }
    }
    if (trace_ && !running()) CloseTrace();  // the run ended: so does the dump
    return cycle() - start;
  }

 private:
  // A data beat: up to kMaxBeatWords 16-byte words (the DRAM bus's width; one for a burst
  // that is not wide).
  static constexpr int kMaxBeatWords = 4;
  struct Beat {
    uint64_t cycle;
    uint32_t words[4 * kMaxBeatWords];
  };
  struct WriteBurst {
    uint32_t addr;
    uint32_t words;  // 16-byte words
    bool wide;
    std::string data;
  };

  // Opens or closes the dump for the cycle about to be stepped. Run cycle 0 is the first cycle
  // the controller runs in, so during run cycle N the hardware's `cycles` counter
  // (u_csr.run_cycle in waveforms) reads N, as in the reports.
  void UpdateTraceWindow() {
    if (!run_started_ && running()) {
      run_started_ = true;
      run_start_cycle_ = cycle();
    }
    const uint64_t run_cycle = cycle() - run_start_cycle_;
    const TraceRequest& r = *trace_request_;
    const bool inside =
        run_started_ && running() &&
        (r.by_command ? (sim_->dbg_cmd_index_o >= r.first_command &&
                         sim_->dbg_cmd_index_o < r.end_command)
                      : (run_cycle >= r.first_cycle && run_cycle < r.end_cycle));
    if (inside && !trace_ && !trace_result_.written) {
      vcd_file_ = std::make_unique<CheckedVcdFile>();
      trace_ = std::make_unique<VerilatedVcdC>(vcd_file_.get());
      sim_->trace(trace_.get(), r.depth);
      trace_->open(r.path.c_str());
      if (!trace_->isOpen()) throw SimulationError("cannot open waveform file " + r.path);
      trace_result_.written = true;
      trace_result_.first_cycle = run_cycle;
    } else if (!inside && trace_) {
      CloseTrace();
    }
    if (trace_) ++trace_result_.cycles;
  }

  void CloseTrace() {
    if (trace_) {
      trace_->close();
      trace_.reset();
      trace_request_.reset();
      trace_result_.error = vcd_file_->error();
    }
  }

  // One clock cycle. Inputs change while the clock is low; the DRAM side samples the master's
  // requests before the rising edge, as the RTL does.
  void Step() {
    const uint64_t now = cycle();
    sim_->rd_data_valid_i = 0;
    if (!read_beats_.empty() && read_beats_.front().cycle <= now) {
      sim_->rd_data_valid_i = 1;
      for (int i = 0; i < 4 * beat_words_; ++i) {
        sim_->rd_data_i[i] = read_beats_.front().words[i];
      }
      read_beats_.pop_front();
    }
    sim_->wr_resp_valid_i = 0;
    if (!write_responses_.empty() && write_responses_.front() <= now) {
      sim_->wr_resp_valid_i = 1;
      write_responses_.pop_front();
    }
    sim_.Settle();
    if (trace_) trace_->dump(now * period_ps_);
    if (sim_->rd_req_valid_o) {
      IssueRead(sim_->rd_req_addr_o, sim_->rd_req_words_o, sim_->rd_req_wide_o);
    }
    if (sim_->wr_req_valid_o) {
      write_bursts_.push_back(
          {sim_->wr_req_addr_o, sim_->wr_req_words_o, sim_->wr_req_wide_o != 0, {}});
    }
    if (sim_->wr_data_valid_o) TakeWriteBeat();
    sim_.Edge();
    if (trace_) trace_->dump(now * period_ps_ + period_ps_ / 2);
  }

  // A read burst of `words` 16-byte words, in beats of beat_words_ words when `wide` (the last
  // one may carry fewer), else of one.
  void IssueRead(uint32_t addr, uint32_t words, bool wide) {
    std::string buf(static_cast<size_t>(words) * 16, '\0');
    const uint64_t now = cycle();
    const uint64_t last =
        port_->Read(now, addr, reinterpret_cast<uint8_t*>(buf.data()), words * 16);
    const uint32_t per_beat = wide ? static_cast<uint32_t>(beat_words_) : 1;
    const uint32_t beats = (words + per_beat - 1) / per_beat;
    // Beats arrive one per cycle, the last at `last`, never before the next cycle, in order.
    uint64_t at = last >= beats ? last - beats + 1 : 0;
    if (!read_beats_.empty()) at = std::max(at, read_beats_.back().cycle + 1);
    at = std::max(at, now + 1);
    for (uint32_t i = 0; i < beats; ++i) {
      Beat beat{at + i, {}};
      const uint32_t n = std::min(per_beat, words - i * per_beat);
      std::memcpy(beat.words, buf.data() + 16 * i * per_beat, 16 * n);
      read_beats_.push_back(beat);
    }
  }

  void TakeWriteBeat() {
    if (write_bursts_.empty()) throw SimulationError("sa_top sent write data without an address");
    WriteBurst& burst = write_bursts_.front();
    // The beat carries the burst's next words: beat_words_ of them when wide (fewer at its end).
    const uint32_t done = static_cast<uint32_t>(burst.data.size() / 16);
    const uint32_t n =
        std::min(burst.wide ? static_cast<uint32_t>(beat_words_) : 1u, burst.words - done);
    uint32_t words[4 * kMaxBeatWords];
    for (uint32_t i = 0; i < 4 * n; ++i) words[i] = sim_->wr_data_o[i];
    burst.data.append(reinterpret_cast<const char*>(words), 16 * n);
    if (burst.data.size() == static_cast<size_t>(burst.words) * 16) {
      const uint64_t now = cycle();
      const uint64_t last = port_->Write(
          now, burst.addr, reinterpret_cast<const uint8_t*>(burst.data.data()), burst.words * 16);
      write_responses_.push_back(std::max(last, now + 1));
      write_bursts_.pop_front();
    }
  }

  HwConfig hw_;
  DramPort* port_;
  VerilatedHarness<Model> sim_;
  uint64_t last_progress_ = 0;
  // Waveform time: picoseconds of the configured clock, clock low at k*period, high at +period/2.
  uint64_t period_ps_ = static_cast<uint64_t>(1e6 / hw_.clock_mhz + 0.5);
  int beat_words_ = std::max(1, static_cast<int>(hw_.dram_bus_bytes / 16));  // after hw_
  std::deque<Beat> read_beats_;
  std::deque<WriteBurst> write_bursts_;
  std::deque<uint64_t> write_responses_;
  std::optional<TraceRequest> trace_request_;
  std::unique_ptr<CheckedVcdFile> vcd_file_;  // declared first: it outlives trace_
  std::unique_ptr<VerilatedVcdC> trace_;
  TraceResult trace_result_;
  bool run_started_ = false;
  uint64_t run_start_cycle_ = 0;
};


}  // namespace sasim

#endif  // SASIM_SIM_ACCEL_CORE_H_
