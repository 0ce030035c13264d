// The controller (sa_csr + sa_ctrl, Verilated as tests/rtl/sa_ctrl_tb.sv) with the DMA and
// compute engines played by C++: CSR reads and writes, start, command fetch, dispatch of every
// command encoded by contract/isa.cc (each field decoded as isa::Decode* does; COMPUTE and
// VECTOR both go to the compute engine and count as its jobs), SYNC waiting on
// job counts, END -> done + interrupt, an illegal opcode -> error, counters and the SNAPSHOT.
#include <algorithm>
#include <cstdint>
#include <cstring>
#include <optional>
#include <random>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "tests/isa_checks.h"

#include "Vsa_ctrl_tb.h"
#include "contract/isa.h"
#include "sim/verilated_harness.h"
#include "tests/rtl/sv_package.h"

namespace sasim {
namespace {

using testing::SvPackage;
using testing::SvStruct;
namespace csr = isa::csr;

constexpr int kRows = 8;         // sa_ctrl_tb's default
constexpr int kFetchBeats = 2 * isa::kFetchCommands;  // sa_ctrl's default
constexpr uint32_t kCmdBase = 0x400;

const SvPackage& Pkg() { return testing::SaPkg(); }

uint64_t EnumValue(const std::string& type, const std::string& name) {
  return testing::SaPkgEnumValue(type, name);
}

template <class Port>
uint64_t Field(const Port& port, const SvStruct& s, const std::string& name) {
  return GetBits(port, s.field(name).lsb, s.field(name).width);
}

int32_t Signed16(uint64_t v) { return static_cast<int16_t>(static_cast<uint16_t>(v)); }

struct DmaJob {
  uint64_t op, buffer;
  isa::Transfer t;
  uint64_t accepted = 0, done_at = 0;
};

struct ComputeStart {
  isa::Compute c;
  uint64_t started = 0, done_at = 0;
};

struct VectorStart {
  isa::Vector v;
  uint64_t started = 0, done_at = 0;
};

class CtrlRtlTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dram_.assign(1 << 16, 0);
    sim_.Reset(2, [this] { Cycle(); });
  }

  void Write(uint32_t offset, uint32_t value) {
    sim_->csr_valid_i = 1;
    sim_->csr_write_i = 1;
    sim_->csr_addr_i = offset;
    sim_->csr_wdata_i = value;
    Cycle();
    sim_->csr_valid_i = 0;
    sim_->csr_write_i = 0;
  }
  uint32_t Read(uint32_t offset) {
    sim_->csr_addr_i = offset;
    sim_.Eval();
    return sim_->csr_rdata_o;
  }
  uint64_t Counter(isa::Counter c) {
    const uint32_t at = csr::kCounterBase + 8 * static_cast<uint32_t>(c);
    return Read(at) | (uint64_t{Read(at + 4)} << 32);
  }

  void Load(const std::vector<isa::CommandWords>& stream) {
    for (size_t i = 0; i < stream.size(); ++i) {
      std::memcpy(&dram_[kCmdBase + 32 * i], stream[i].data(), 32);
    }
  }
  void Start() {
    Write(csr::kCmdBase, kCmdBase);
    Write(csr::kIrqEnable, 1);
    Write(csr::kCtrl, 1);
  }
  // Clocks until the interrupt rises (or `limit` cycles pass); returns the cycles run.
  uint64_t RunToIrq(uint64_t limit = 5000) {
    const uint64_t start = sim_.cycle();
    while (!sim_->irq_o && sim_.cycle() - start < limit) Cycle();
    return sim_.cycle() - start;
  }

  // One cycle, with the engines' outputs for it and what they take at its edge.
  void Cycle() {
    const uint64_t now = sim_.cycle();
    const auto& events = Pkg().Struct("perf_events_t");
    sim_->dma_fetch_ready_i = !dma_busy_;
    sim_->dma_push_ready_i = !dma_busy_;
    sim_->dma_busy_fetch_i = dma_busy_ && dma_fetch_;
    sim_->dma_done_fetch_i = dma_busy_ && dma_fetch_;
    sim_->dma_idle_i = !dma_busy_;
    sim_->dma_job_done_i = dma_busy_ && now == dma_done_at_;
    sim_->cmd_beat_valid_i = 0;
    if (dma_busy_ && dma_fetch_ && now >= fetch_first_beat_ &&
        now < fetch_first_beat_ + kFetchBeats) {
      sim_->cmd_beat_valid_i = 1;
      const uint32_t addr = fetch_addr_ + 16 * static_cast<uint32_t>(now - fetch_first_beat_);
      for (int i = 0; i < 4; ++i) std::memcpy(&sim_->cmd_beat_i[i], &dram_[addr + 4 * i], 4);
    }
    sim_->comp_busy_i = comp_busy_;
    sim_->comp_done_i = comp_busy_ && now == comp_done_at_;
    for (const auto& f : events.fields) PutBits(sim_->events_i, f.lsb, f.width, 0);
    PutBits(sim_->events_i, events.field("macs").lsb, 16, ev_macs_);
    PutBits(sim_->events_i, events.field("acc_wraps").lsb, 16, ev_wraps_);
    PutBits(sim_->events_i, events.field("vec_ops").lsb, 5, ev_vec_ops_);
    PutBits(sim_->events_i, events.field("cmd_fetch_beat").lsb, 1, sim_->cmd_beat_valid_i);
    PutBits(sim_->events_i, events.field("comp_busy").lsb, 1, comp_busy_);

    sim_.Tick([&] {
      if (read_snapshot_) {
        read_snapshot_ = false;
        snapshot_.clear();
        for (int b = 0; b < isa::kSnapshotBeats; ++b) {
          sim_->snap_beat_idx_i = b;
          sim_.Eval();
          snapshot_.push_back(GetBits(sim_->snap_beat_o, 0, 64));
          snapshot_.push_back(GetBits(sim_->snap_beat_o, 64, 64));
        }
      }
      if (sim_->dma_job_valid_o) {
        ASSERT_FALSE(dma_busy_) << "a DMA job while the engine is busy";
        const auto& s = Pkg().Struct("dma_job_t");
        const uint64_t op = Field(sim_->dma_job_o, s, "op");
        dma_busy_ = true;
        if (op == EnumValue("dma_op_e", "DmaOpFetch")) {
          dma_fetch_ = true;
          fetch_addr_ = static_cast<uint32_t>(Field(sim_->dma_job_o, s, "dram_addr"));
          EXPECT_EQ(Field(sim_->dma_job_o, s, "row_words"), uint64_t{kFetchBeats});
          EXPECT_EQ(Field(sim_->dma_job_o, s, "rows"), 1u);
          fetch_first_beat_ = now + 1 + fetch_latency_;
          dma_done_at_ = fetch_first_beat_ + kFetchBeats;
          ++fetches_;
        } else {
          dma_fetch_ = false;
          DmaJob job;
          job.op = op;
          job.buffer = Field(sim_->dma_job_o, s, "buffer");
          job.t.buffer = static_cast<isa::Buffer>(job.buffer);
          job.t.dram_addr = static_cast<uint32_t>(Field(sim_->dma_job_o, s, "dram_addr"));
          job.t.dram_stride = static_cast<uint32_t>(Field(sim_->dma_job_o, s, "dram_stride"));
          job.t.sram_addr = static_cast<uint32_t>(Field(sim_->dma_job_o, s, "sram_addr"));
          job.t.sram_stride = static_cast<uint32_t>(Field(sim_->dma_job_o, s, "sram_stride"));
          job.t.row_words = static_cast<uint32_t>(Field(sim_->dma_job_o, s, "row_words"));
          job.t.rows = static_cast<uint32_t>(Field(sim_->dma_job_o, s, "rows"));
          job.accepted = now;
          job.done_at = dma_done_at_ = now + dma_cycles_;
          if (job.buffer == EnumValue("buffer_e", "BufCounters")) read_snapshot_ = true;
          jobs_.push_back(job);
        }
      }
      if (sim_->comp_start_o) {
        ASSERT_FALSE(comp_busy_) << "a COMPUTE while the engine is busy";
        const auto& s = Pkg().Struct("compute_cmd_t");
        ComputeStart cs;
        isa::Compute& c = cs.c;
        c.acc_in = Field(sim_->comp_cmd_o, s, "acc_in");
        c.acc_out = Field(sim_->comp_cmd_o, s, "acc_out");
        c.relu = Field(sim_->comp_cmd_o, s, "relu");
        c.rounding = static_cast<Rounding>(Field(sim_->comp_cmd_o, s, "round"));
        c.pool = Field(sim_->comp_cmd_o, s, "pool");
        c.shift = static_cast<uint32_t>(Field(sim_->comp_cmd_o, s, "shift"));
        c.kernel_h = static_cast<uint32_t>(Field(sim_->comp_cmd_o, s, "kernel_h"));
        c.kernel_w = static_cast<uint32_t>(Field(sim_->comp_cmd_o, s, "kernel_w"));
        c.stride = static_cast<uint32_t>(Field(sim_->comp_cmd_o, s, "stride"));
        c.channels = static_cast<uint32_t>(Field(sim_->comp_cmd_o, s, "channels"));
        c.in_width = static_cast<uint32_t>(Field(sim_->comp_cmd_o, s, "in_width"));
        c.in_rows = static_cast<uint32_t>(Field(sim_->comp_cmd_o, s, "in_rows"));
        c.y_off = Signed16(Field(sim_->comp_cmd_o, s, "y_off"));
        c.x_off = Signed16(Field(sim_->comp_cmd_o, s, "x_off"));
        c.out_rows = static_cast<uint32_t>(Field(sim_->comp_cmd_o, s, "out_rows"));
        c.out_width = static_cast<uint32_t>(Field(sim_->comp_cmd_o, s, "out_width"));
        c.abuf_base = static_cast<uint32_t>(Field(sim_->comp_cmd_o, s, "abuf_base"));
        c.wbuf_base = static_cast<uint32_t>(Field(sim_->comp_cmd_o, s, "wbuf_base"));
        c.obuf_base = static_cast<uint32_t>(Field(sim_->comp_cmd_o, s, "obuf_base"));
        c.n_valid = static_cast<uint32_t>(Field(sim_->comp_cmd_o, s, "n_valid"));
        cs.started = now;
        cs.done_at = comp_done_at_ = now + comp_cycles_;
        comp_busy_ = true;
        computes_.push_back(cs);
      }
      if (sim_->vec_start_o) {
        ASSERT_FALSE(comp_busy_) << "a VECTOR while the compute engine is busy";
        ASSERT_FALSE(sim_->comp_start_o) << "COMPUTE and VECTOR in one cycle";
        const auto& s = Pkg().Struct("vector_cmd_t");
        VectorStart vs;
        isa::Vector& v = vs.v;
        auto get = [&](const char* name) {
          return static_cast<uint32_t>(Field(sim_->vec_cmd_o, s, name));
        };
        v.op = static_cast<isa::VectorOp>(get("op"));
        v.relu = get("relu");
        v.out_shift = get("out_shift");
        v.a_shift = get("a_shift");
        v.b_shift = get("b_shift");
        v.stride = get("stride");
        v.kernel_h = get("kernel_h");
        v.kernel_w = get("kernel_w");
        v.channel_blocks = get("channel_blocks");
        v.in_rows = get("in_rows");
        v.in_width = get("in_width");
        v.out_rows = get("out_rows");
        v.out_width = get("out_width");
        v.a_base = get("a_base");
        v.b_base = get("b_base");
        v.o_base = get("o_base");
        v.y_off = Signed16(get("y_off"));
        v.x_off = Signed16(get("x_off"));
        v.recip = get("recip");
        vs.started = now;
        vs.done_at = comp_done_at_ = now + comp_cycles_;
        comp_busy_ = true;
        vectors_.push_back(vs);
      }
    });
    if (dma_busy_ && now == dma_done_at_) dma_busy_ = false;
    if (comp_busy_ && now == comp_done_at_) comp_busy_ = false;
  }

  VerilatedHarness<Vsa_ctrl_tb> sim_{"ctrl"};
  std::vector<uint8_t> dram_;
  // The DMA engine.
  bool dma_busy_ = false, dma_fetch_ = false;
  uint64_t dma_done_at_ = 0, fetch_first_beat_ = 0;
  uint32_t fetch_addr_ = 0;
  uint64_t dma_cycles_ = 6, fetch_latency_ = 3;
  int fetches_ = 0;
  std::vector<DmaJob> jobs_;
  bool read_snapshot_ = false;
  std::vector<uint64_t> snapshot_;
  // The compute engine.
  bool comp_busy_ = false;
  uint64_t comp_done_at_ = 0, comp_cycles_ = 20;
  std::vector<ComputeStart> computes_;
  std::vector<VectorStart> vectors_;
  // Counter events driven every cycle.
  uint64_t ev_macs_ = 0, ev_wraps_ = 0, ev_vec_ops_ = 0;
};

TEST_F(CtrlRtlTest, CsrsAfterReset) {
  EXPECT_EQ(Read(csr::kId), csr::kIdValue);
  EXPECT_EQ(Read(csr::kConfig), kRows | (16u << 8));
  EXPECT_EQ(Read(csr::kStatus), 0u);
  EXPECT_EQ(Read(csr::kIrqStatus), 0u);
  EXPECT_EQ(Read(csr::kCtrlState), static_cast<uint32_t>(isa::CtrlState::kIdle));
  Write(csr::kIrqEnable, 1);
  EXPECT_EQ(Read(csr::kIrqEnable), 1u);
  Write(csr::kIrqEnable, 0);
  EXPECT_EQ(Read(csr::kIrqEnable), 0u);
  Write(csr::kCmdBase, 0xdeadbee0);
  EXPECT_EQ(Read(csr::kCmdBase), 0xdeadbee0u);
  for (int i = 0; i < isa::kNumCounters; ++i) {
    EXPECT_EQ(Counter(static_cast<isa::Counter>(i)), 0u) << i;
  }
  // Unmapped offsets, and the offset past the last counter, read 0.
  EXPECT_EQ(Read(0x30), 0u);
  EXPECT_EQ(Read(csr::kCounterBase + 8 * isa::kNumCounters), 0u);
  EXPECT_EQ(Read(csr::kCounterBase + 8 * 32), 0u);  // no alias of counter 0
  EXPECT_FALSE(sim_->irq_o);
  EXPECT_EQ(fetches_, 0) << "nothing runs before a start";
}

TEST_F(CtrlRtlTest, DispatchesAStreamAndDecodesEveryField) {
  std::mt19937 rng(5);
  isa::Compute c;
  c.relu = true;
  c.rounding = Rounding::kNearestEven;
  c.pool = true;
  c.shift = 19;
  c.kernel_h = 13;
  c.kernel_w = 6;
  c.stride = 11;
  c.channels = 0xfedc;
  c.in_width = 0x1234;
  c.in_rows = 0x8765;
  c.y_off = -1234;
  c.x_off = -32768;
  c.out_rows = 0xaaaa;
  c.out_width = 0x5554;
  c.abuf_base = 0x0f0f;
  c.wbuf_base = 0xf0f0;
  c.obuf_base = 0x3c3c;
  c.n_valid = 13;
  const isa::Transfer act{isa::Buffer::kAct, 0x10000, 0x230, 0x1357, 0x2468, 0x9abc, 0x0def};
  const isa::Transfer wgt{isa::Buffer::kWeight, 0xfffffff0, 0x10, 17, 0, 580, 1};
  const isa::Transfer out{isa::Buffer::kOut, 0x20000, 0x400, 3, 5, 7, 9};
  // The partial-sum flags (which exclude pool).
  isa::Compute partial = c;
  partial.pool = false;
  partial.acc_in = true;
  partial.acc_out = true;
  // An average with every field away from its neighbours' values, and an add.
  isa::Vector avg;
  avg.op = isa::VectorOp::kAvgPool;
  avg.relu = true;
  avg.out_shift = 29;
  avg.a_shift = 13;
  avg.b_shift = 6;
  avg.stride = 201;
  avg.kernel_h = 173;
  avg.kernel_w = 94;
  avg.channel_blocks = 0xbeef;
  avg.in_rows = 0x1357;
  avg.in_width = 0x8642;
  avg.out_rows = 0xfedc;
  avg.out_width = 0x0123;
  avg.a_base = 0x5a5a;
  avg.b_base = 0xa5a5;
  avg.o_base = 0xc3c3;
  avg.y_off = -30000;
  avg.x_off = 32767;
  avg.recip = AvgReciprocal(173 * 94);
  isa::Vector add;
  add.op = isa::VectorOp::kAdd;
  add.out_shift = 17;
  add.a_shift = 15;
  add.b_shift = 1;
  add.channel_blocks = 3;
  add.in_rows = add.out_rows = 0x4321;
  add.in_width = add.out_width = 0x0fed;
  add.a_base = 0xffff;
  add.b_base = 1;
  add.o_base = 0x8000;
  Load({isa::EncodeTransfer(isa::Opcode::kLoad, act), isa::EncodeTransfer(isa::Opcode::kLoad, wgt),
        isa::EncodeCompute(c), isa::EncodeCompute(partial), isa::EncodeVector(avg),
        isa::EncodeVector(add), isa::EncodeSync({2, 4}),
        isa::EncodeTransfer(isa::Opcode::kStore, out), isa::EncodeSnapshot(0x3000),
        isa::EncodeSync({4, 4}), isa::EncodeEnd()});
  Start();
  EXPECT_EQ(Read(csr::kStatus) & 1, 1u) << "busy";
  RunToIrq();
  ASSERT_TRUE(sim_->irq_o);
  EXPECT_EQ(Read(csr::kStatus), 2u) << "done, not busy, no error";
  EXPECT_EQ(Read(csr::kIrqStatus), 1u);
  EXPECT_EQ(Read(csr::kCtrlState), static_cast<uint32_t>(isa::CtrlState::kDone));
  EXPECT_EQ(Read(csr::kCmdIndex), 11u);
  EXPECT_EQ(Read(csr::kLastOpcode), static_cast<uint32_t>(isa::Opcode::kEnd));
  EXPECT_EQ(Counter(isa::Counter::kCommands), 11u);
  EXPECT_EQ(Counter(isa::Counter::kCmdFetchBytes), 16u * kFetchBeats * fetches_);
  EXPECT_GE(fetches_, 2);

  // Jobs in order, every field as contract/isa.cc encoded it.
  ASSERT_EQ(jobs_.size(), 4u);
  const auto load = EnumValue("dma_op_e", "DmaOpLoad");
  const auto store = EnumValue("dma_op_e", "DmaOpStore");
  const isa::Transfer* want[] = {&act, &wgt, &out};
  const uint64_t ops[] = {load, load, store};
  for (int i = 0; i < 3; ++i) {
    SCOPED_TRACE(i);
    EXPECT_EQ(jobs_[i].op, ops[i]);
    EXPECT_EQ(jobs_[i].t.buffer, want[i]->buffer);
    EXPECT_EQ(jobs_[i].t.dram_addr, want[i]->dram_addr);
    EXPECT_EQ(jobs_[i].t.dram_stride, want[i]->dram_stride);
    EXPECT_EQ(jobs_[i].t.sram_addr, want[i]->sram_addr);
    EXPECT_EQ(jobs_[i].t.sram_stride, want[i]->sram_stride);
    EXPECT_EQ(jobs_[i].t.row_words, want[i]->row_words);
    EXPECT_EQ(jobs_[i].t.rows, want[i]->rows);
  }
  EXPECT_EQ(jobs_[3].op, store);
  EXPECT_EQ(jobs_[3].buffer, EnumValue("buffer_e", "BufCounters"));
  EXPECT_EQ(jobs_[3].t.dram_addr, 0x3000u);
  EXPECT_EQ(jobs_[3].t.row_words, static_cast<uint32_t>(isa::kSnapshotBeats));
  EXPECT_EQ(jobs_[3].t.rows, 1u);

  ASSERT_EQ(computes_.size(), 2u);
  testcases::ExpectSameCompute(computes_[0].c, c);
  testcases::ExpectSameCompute(computes_[1].c, partial);
  ASSERT_EQ(vectors_.size(), 2u);
  testcases::ExpectSameVector(vectors_[0].v, avg);
  testcases::ExpectSameVector(vectors_[1].v, add);

  // COMPUTE did not wait for the loads (in-order dispatch only); each compute-engine job waited
  // for the previous one; the STORE waited for SYNC, which counted VECTORs as compute jobs.
  EXPECT_LT(computes_[0].started, jobs_[1].done_at);
  EXPECT_GT(computes_[1].started, computes_[0].done_at);
  EXPECT_GT(vectors_[0].started, computes_[1].done_at);
  EXPECT_GT(vectors_[1].started, vectors_[0].done_at);
  EXPECT_GT(jobs_[2].accepted, std::max(jobs_[1].done_at, vectors_[1].done_at));

  // The snapshot holds the counters as they were when SNAPSHOT was dispatched: eight commands
  // done, and every slot past the last is zero padding of the last beat (isa.h: stall_fetch's
  // slot carries acc_wraps; the host derives stall_fetch).
  ASSERT_EQ(snapshot_.size(), 2u * isa::kSnapshotBeats);
  EXPECT_EQ(snapshot_[static_cast<int>(isa::Counter::kCommands)], 8u);
  EXPECT_GT(snapshot_[static_cast<int>(isa::Counter::kCycles)], 0u);
  EXPECT_LT(snapshot_[static_cast<int>(isa::Counter::kCycles)],
            Counter(isa::Counter::kCycles));
  for (size_t i = isa::kSnapshotCounters; i < snapshot_.size(); ++i) EXPECT_EQ(snapshot_[i], 0u);

  // IRQ_STATUS is write-one-to-clear; a new start clears done and zeroes the counters.
  Write(csr::kIrqStatus, 1);
  EXPECT_FALSE(sim_->irq_o);
  EXPECT_EQ(Read(csr::kIrqStatus), 0u);
  Write(csr::kCtrl, 1);
  EXPECT_EQ(Read(csr::kStatus), 1u);
  EXPECT_LE(Counter(isa::Counter::kCycles), 1u);
  EXPECT_EQ(Counter(isa::Counter::kCommands), 0u);
  RunToIrq();
  EXPECT_EQ(Read(csr::kStatus), 2u);
  EXPECT_EQ(jobs_.size(), 8u) << "the second run dispatched the same jobs";
}

TEST_F(CtrlRtlTest, SyncWaitsForJobCounts) {
  dma_cycles_ = 60;
  comp_cycles_ = 30;
  isa::Compute c;
  Load({isa::EncodeTransfer(isa::Opcode::kLoad, {isa::Buffer::kAct, 0x800, 0, 0, 0, 4, 1}),
        isa::EncodeSync({1, 0}), isa::EncodeCompute(c), isa::EncodeSync({1, 1}),
        isa::EncodeEnd()});
  Start();
  // The fetches (the FIFO fills to half first), then the LOAD; then SYNC holds the COMPUTE
  // until the LOAD is done.
  for (int i = 0; i < 200 && jobs_.empty(); ++i) Cycle();
  for (int i = 0; i < 5; ++i) Cycle();
  ASSERT_EQ(jobs_.size(), 1u);
  EXPECT_EQ(Read(csr::kCtrlState), static_cast<uint32_t>(isa::CtrlState::kSync));
  EXPECT_EQ(Read(csr::kCmdIndex), 1u);
  EXPECT_TRUE(computes_.empty());
  RunToIrq();
  ASSERT_TRUE(sim_->irq_o);
  ASSERT_EQ(computes_.size(), 1u);
  // The done pulse counts at its edge, SYNC leaves the next cycle, COMPUTE dispatches after.
  EXPECT_EQ(computes_[0].started, jobs_[0].done_at + 2);
  EXPECT_EQ(Read(csr::kStatus), 2u);
  // A busy engine is accounted: cycles = busy + stalls.
  EXPECT_EQ(Counter(isa::Counter::kCycles),
            Counter(isa::Counter::kBusyCycles) + Counter(isa::Counter::kStallLoad) +
                Counter(isa::Counter::kStallStore) + Counter(isa::Counter::kStallFetch));
  EXPECT_EQ(Counter(isa::Counter::kBusyCycles), comp_cycles_);
}

TEST_F(CtrlRtlTest, IllegalOpcodeStopsWithAnError) {
  isa::CommandWords bad{};
  bad[0] = 0x3f;
  Load({isa::EncodeTransfer(isa::Opcode::kLoad, {isa::Buffer::kAct, 0x800, 0, 0, 0, 4, 1}), bad,
        isa::EncodeEnd()});
  Start();
  RunToIrq();
  ASSERT_TRUE(sim_->irq_o);
  EXPECT_EQ(Read(csr::kStatus), 4u) << "error, not done, not busy";
  EXPECT_EQ(Read(csr::kCtrlState), static_cast<uint32_t>(isa::CtrlState::kError));
  EXPECT_EQ(Read(csr::kLastOpcode), 0x3fu);
  EXPECT_EQ(Read(csr::kCmdIndex), 1u);
  EXPECT_EQ(Counter(isa::Counter::kCommands), 1u);
  for (int i = 0; i < 100; ++i) Cycle();
  EXPECT_EQ(jobs_.size(), 1u) << "nothing after the illegal command";
  EXPECT_EQ(Read(csr::kCtrlState), static_cast<uint32_t>(isa::CtrlState::kError));
}

TEST_F(CtrlRtlTest, CountersAddTheirEventsAndStartIgnoredWhileRunning) {
  dma_cycles_ = 200;
  Load({isa::EncodeTransfer(isa::Opcode::kLoad, {isa::Buffer::kAct, 0x800, 0, 0, 0, 4, 1}),
        isa::EncodeSync({1, 0}), isa::EncodeEnd()});
  ev_macs_ = 3;
  ev_wraps_ = 7;
  ev_vec_ops_ = 16;
  Write(csr::kCmdBase, kCmdBase);
  Write(csr::kCtrl, 1);  // counters restart at this edge
  const uint64_t start = sim_.cycle();
  for (int i = 0; i < 50; ++i) Cycle();
  Write(csr::kCtrl, 1);  // ignored: a run is going
  for (int i = 0; i < 20; ++i) Cycle();
  const uint64_t n = sim_.cycle() - start;
  EXPECT_EQ(Counter(isa::Counter::kMacs), 3 * n);
  EXPECT_EQ(Counter(isa::Counter::kAccWraps), 7 * n);
  EXPECT_EQ(Counter(isa::Counter::kVecOps), 16 * n);
  EXPECT_EQ(Counter(isa::Counter::kCycles), n);
  EXPECT_EQ(Read(csr::kCmdIndex), 1u) << "still in the first run's SYNC";
  EXPECT_EQ(jobs_.size(), 1u);
}

}  // namespace
}  // namespace sasim
