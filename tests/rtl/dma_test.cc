// sa_dma alone (Verilated with MaxBurst = 4): 2-D LOADs and STOREs with DRAM and buffer strides,
// bursts cut at the burst limit and at row ends, many reads outstanding, back-pressure on every
// handshake, command FETCH, and the job interface (one done per job, in order; a job taken while
// the one before it finishes, a LOAD behind a STORE held until the STORE is done).
// A C++ DRAM on the other side checks the protocol: data only for requested bursts, in order.
#include <array>
#include <cstdint>
#include <cstring>
#include <deque>
#include <map>
#include <random>
#include <vector>

#include <gtest/gtest.h>

#include "Vsa_dma.h"
#include "sim/verilated_harness.h"
#include "tests/rtl/sv_package.h"

namespace sasim {
namespace {

using testing::SvPackage;

constexpr int kMaxBurst = 4;  // rtl/CMakeLists.txt builds Vsa_dma with MaxBurst=4

const SvPackage& Pkg() { return testing::SaPkg(); }

uint64_t EnumValue(const std::string& type, const std::string& name) {
  return testing::SaPkgEnumValue(type, name);
}

struct Job {
  std::string op = "DmaOpLoad";
  std::string buffer = "BufAct";
  uint32_t dram_addr = 0, dram_stride = 0;
  uint32_t sram_addr = 0, sram_stride = 0;
  uint32_t row_words = 1, rows = 1;
};

using Beat = std::array<uint32_t, 4>;

class DmaRtlTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dram_.resize(1 << 16);
    for (size_t i = 0; i < dram_.size(); ++i) dram_[i] = static_cast<uint8_t>(i * 7 + (i >> 8));
    sim_.Reset(2, [this] { Cycle(); });
  }

  // Hands `job` to the engine once it is ready; returns the cycle of the handshake.
  uint64_t Submit(const Job& job) {
    for (int i = 0; i < 100000 && !sim_->job_ready_o; ++i) Cycle();
    EXPECT_TRUE(sim_->job_ready_o);
    const auto& s = Pkg().Struct("dma_job_t");
    auto put = [&](const char* field, uint64_t v) {
      PutBits(sim_->job_i, s.field(field).lsb, s.field(field).width, v);
    };
    put("op", EnumValue("dma_op_e", job.op));
    put("buffer", EnumValue("buffer_e", job.buffer));
    put("dram_addr", job.dram_addr);
    put("dram_stride", job.dram_stride);
    put("sram_addr", job.sram_addr);
    put("sram_stride", job.sram_stride);
    put("row_words", job.row_words);
    put("rows", job.rows);
    sim_->job_valid_i = 1;
    const uint64_t at = sim_.cycle();
    Cycle();
    sim_->job_valid_i = 0;
    return at;
  }

  // Cycles until `n` jobs in all are done.
  void WaitDone(int n) {
    for (int i = 0; i < 100000 && done_pulses_ < n; ++i) Cycle();
    EXPECT_EQ(done_pulses_, n);
  }

  // Runs `job` alone to completion; returns its cycles from the handshake to done.
  uint64_t RunJob(const Job& job) {
    EXPECT_TRUE(sim_->idle_o) << "the engine is idle between jobs";
    Submit(job);
    const uint64_t start = sim_.cycle();
    WaitDone(done_pulses_ + 1);
    Cycle();
    EXPECT_TRUE(sim_->job_ready_o && sim_->idle_o) << "idle again after done";
    EXPECT_FALSE(sim_->busy_load_o || sim_->busy_store_o);
    return sim_.cycle() - start;
  }

  // One clock cycle with the DRAM and the buffers served; back-pressure drawn at random.
  void Cycle() {
    sim_->rd_req_ready_i = !stall_ || coin_(rng_);
    sim_->wr_req_ready_i = !stall_ || coin_(rng_);
    sim_->wr_data_ready_i = !stall_ || coin_(rng_);
    sim_->rd_data_valid_i = 0;
    if (!read_beats_.empty() && read_beats_.front().first <= sim_.cycle()) {
      sim_->rd_data_valid_i = 1;
      for (int i = 0; i < 4; ++i) sim_->rd_data_i[i] = read_beats_.front().second[i];
      read_beats_.pop_front();
    }
    sim_->wr_resp_valid_i = 0;
    if (!responses_.empty() && responses_.front() <= sim_.cycle()) {
      sim_->wr_resp_valid_i = 1;
      responses_.pop_front();
    }
    sim_.Tick([this] {
      // The output buffer read port is combinational: answer the address, then settle.
      const Beat word = obuf_[sim_->obuf_raddr_o];
      for (int i = 0; i < 4; ++i) sim_->obuf_rdata_i[i] = word[i];
      sim_.Eval();
      const uint64_t now = sim_.cycle();
      if (sim_->rd_req_valid_o && sim_->rd_req_ready_i) {
        const uint32_t addr = sim_->rd_req_addr_o, beats = sim_->rd_req_words_o;
        read_requests_.push_back({addr, beats});
        if (first_data_cycle_ == 0) ++requests_before_data_;
        uint64_t at = std::max(now + latency_, read_beats_.empty() ? 0 : read_beats_.back().first + 1);
        for (uint32_t b = 0; b < beats; ++b) {
          Beat beat;
          std::memcpy(beat.data(), &dram_[addr + 16 * b], 16);
          read_beats_.push_back({at + b, beat});
        }
      }
      if (sim_->rd_data_valid_i && first_data_cycle_ == 0) first_data_cycle_ = now;
      if (sim_->wr_req_valid_o && sim_->wr_req_ready_i) {
        write_requests_.push_back({sim_->wr_req_addr_o, sim_->wr_req_words_o});
        pending_writes_.push_back({sim_->wr_req_addr_o, sim_->wr_req_words_o, 0});
      }
      if (sim_->wr_data_valid_o && sim_->wr_data_ready_i) {
        ASSERT_FALSE(pending_writes_.empty()) << "write data before its address";
        auto& w = pending_writes_.front();
        for (int i = 0; i < 4; ++i) {
          const uint32_t v = sim_->wr_data_o[i];
          std::memcpy(&dram_[w.addr + 16 * w.done + 4 * i], &v, 4);
        }
        if (++w.done == w.beats) {
          responses_.push_back(std::max<uint64_t>(now + latency_, responses_.empty() ? 0 : responses_.back() + 1));
          pending_writes_.pop_front();
        }
      }
      if (sim_->buf_we_o) {
        Beat word;
        for (int i = 0; i < 4; ++i) word[i] = sim_->buf_wdata_o[i];
        buffers_[{static_cast<int>(sim_->buf_sel_o), sim_->buf_waddr_o}] = word;
      }
      if (sim_->cmd_beat_valid_o) {
        Beat word;
        for (int i = 0; i < 4; ++i) word[i] = sim_->cmd_beat_o[i];
        cmd_beats_.push_back(word);
      }
      if (sim_->job_done_o) {
        ++done_pulses_;
        done_cycles_.push_back(now);
        done_fetch_.push_back(sim_->done_fetch_o);
      }
      if (sim_->rd_req_valid_o && sim_->rd_req_ready_i) read_request_cycles_.push_back(now);
    });
  }

  Beat DramWord(uint32_t addr) const {
    Beat w;
    std::memcpy(w.data(), &dram_[addr], 16);
    return w;
  }

  struct Request {
    uint32_t addr, beats;
  };
  struct PendingWrite {
    uint32_t addr, beats, done;
  };

  VerilatedHarness<Vsa_dma> sim_{"dma"};
  std::vector<uint8_t> dram_;
  std::map<uint16_t, Beat> obuf_;
  std::map<std::pair<int, int>, Beat> buffers_;
  std::vector<Beat> cmd_beats_;
  std::deque<std::pair<uint64_t, Beat>> read_beats_;
  std::deque<uint64_t> responses_;
  std::deque<PendingWrite> pending_writes_;
  std::vector<Request> read_requests_, write_requests_;
  uint64_t latency_ = 5;
  uint64_t first_data_cycle_ = 0;
  int requests_before_data_ = 0;
  int done_pulses_ = 0;
  std::vector<uint64_t> done_cycles_, read_request_cycles_;
  std::vector<bool> done_fetch_;
  bool stall_ = false;
  std::mt19937 rng_{99};
  std::bernoulli_distribution coin_{0.6};
};

TEST_F(DmaRtlTest, Load2dCutsBurstsAtTheLimitAndAtRowEnds) {
  Job job;
  job.buffer = "BufWeight";
  job.dram_addr = 0x1000;
  job.dram_stride = 0x200;  // rows 512 bytes apart in DRAM
  job.sram_addr = 5;
  job.sram_stride = 16;     // and 16 words apart in the buffer
  job.row_words = 10;
  job.rows = 3;
  RunJob(job);
  for (uint32_t r = 0; r < job.rows; ++r) {
    for (uint32_t w = 0; w < job.row_words; ++w) {
      const auto it = buffers_.find({1, static_cast<int>(job.sram_addr + r * job.sram_stride + w)});
      ASSERT_NE(it, buffers_.end()) << "row " << r << " word " << w;
      EXPECT_EQ(it->second, DramWord(job.dram_addr + r * job.dram_stride + 16 * w));
    }
  }
  EXPECT_EQ(buffers_.size(), 30u);  // nothing else written
  // 10 words a row: bursts of 4, 4, 2 at each row's DRAM address.
  ASSERT_EQ(read_requests_.size(), 9u);
  for (uint32_t r = 0; r < 3; ++r) {
    const uint32_t row = job.dram_addr + r * job.dram_stride;
    EXPECT_EQ(read_requests_[3 * r].addr, row);
    EXPECT_EQ(read_requests_[3 * r].beats, 4u);
    EXPECT_EQ(read_requests_[3 * r + 1].addr, row + 64);
    EXPECT_EQ(read_requests_[3 * r + 2].addr, row + 128);
    EXPECT_EQ(read_requests_[3 * r + 2].beats, 2u);
  }
}

TEST_F(DmaRtlTest, ManyReadsOutstanding) {
  latency_ = 40;
  Job job;
  job.dram_addr = 0x2000;
  job.row_words = 32;  // 8 bursts
  job.rows = 1;
  const uint64_t cycles = RunJob(job);
  // Every burst was asked for before the first beat came back: the latency is paid once.
  EXPECT_EQ(requests_before_data_, 8);
  EXPECT_LT(cycles, latency_ + 32 + 8);
  for (uint32_t w = 0; w < 32; ++w) EXPECT_EQ((buffers_[{0, static_cast<int>(w)}]), DramWord(0x2000 + 16 * w));
}

TEST_F(DmaRtlTest, Store2dUnderBackPressure) {
  stall_ = true;
  std::mt19937 rng(3);
  for (uint16_t a = 0; a < 256; ++a) {
    obuf_[a] = {static_cast<uint32_t>(rng()), static_cast<uint32_t>(rng()),
                static_cast<uint32_t>(rng()), static_cast<uint32_t>(rng())};
  }
  Job job;
  job.op = "DmaOpStore";
  job.buffer = "BufOut";
  job.dram_addr = 0x8000;
  job.dram_stride = 0x100;
  job.sram_addr = 3;
  job.sram_stride = 7;
  job.row_words = 6;
  job.rows = 4;
  RunJob(job);
  for (uint32_t r = 0; r < job.rows; ++r) {
    for (uint32_t w = 0; w < job.row_words; ++w) {
      EXPECT_EQ(DramWord(job.dram_addr + r * job.dram_stride + 16 * w),
                obuf_[static_cast<uint16_t>(job.sram_addr + r * job.sram_stride + w)])
          << "row " << r << " word " << w;
    }
  }
  ASSERT_EQ(write_requests_.size(), 8u);  // 6 words a row: 4 + 2
  EXPECT_EQ(write_requests_[0].beats, 4u);
  EXPECT_EQ(write_requests_[1].addr, 0x8000u + 64);
  EXPECT_EQ(write_requests_[1].beats, 2u);
  EXPECT_TRUE(responses_.empty()) << "done before every write was acknowledged";
}

TEST_F(DmaRtlTest, LoadUnderBackPressureAndFetch) {
  stall_ = true;
  Job load;
  load.dram_addr = 0x3000;
  load.dram_stride = 0x40;
  load.row_words = 3;  // a row shorter than a burst
  load.rows = 5;
  load.sram_addr = 100;
  load.sram_stride = 3;  // rows back to back in the buffer
  RunJob(load);
  for (uint32_t i = 0; i < 15; ++i) {
    EXPECT_EQ((buffers_[{0, static_cast<int>(100 + i)}]), DramWord(0x3000 + (i / 3) * 0x40 + 16 * (i % 3)));
  }
  Job fetch;
  fetch.op = "DmaOpFetch";
  fetch.dram_addr = 0x4000;
  fetch.row_words = 8;
  RunJob(fetch);
  ASSERT_EQ(cmd_beats_.size(), 8u);
  for (uint32_t i = 0; i < 8; ++i) EXPECT_EQ(cmd_beats_[i], DramWord(0x4000 + 16 * i));
  EXPECT_EQ(buffers_.size(), 15u) << "a fetch writes no buffer";
  EXPECT_EQ(done_pulses_, 2);
}

TEST_F(DmaRtlTest, TheNextLoadsRequestsGoOutWhileTheLastDataArrives) {
  latency_ = 30;
  Job a, b;
  a.dram_addr = 0x1000;
  a.row_words = 8;  // 2 bursts
  b.buffer = "BufWeight";
  b.dram_addr = 0x5000;
  b.row_words = 12;  // 3 bursts
  b.sram_addr = 40;
  Submit(a);
  const uint64_t b_taken = Submit(b);
  WaitDone(2);
  // b was taken before a's first beat came back, and its first request went out long before
  // a's data was in: the DRAM latency was paid once for both.
  ASSERT_EQ(read_request_cycles_.size(), 5u);
  EXPECT_LT(b_taken, first_data_cycle_);
  EXPECT_LT(read_request_cycles_[2], done_cycles_[0]);
  EXPECT_LT(done_cycles_[1] - done_cycles_[0], latency_) << "b's data followed a's";
  EXPECT_LE(done_cycles_[1], read_request_cycles_[0] + latency_ + 20 + 2);
  for (uint32_t w = 0; w < 8; ++w)
    EXPECT_EQ((buffers_[{0, static_cast<int>(w)}]), DramWord(0x1000 + 16 * w));
  for (uint32_t w = 0; w < 12; ++w)
    EXPECT_EQ((buffers_[{1, static_cast<int>(40 + w)}]), DramWord(0x5000 + 16 * w));
  Cycle();
  EXPECT_TRUE(sim_->idle_o);
}

TEST_F(DmaRtlTest, ALoadBehindAStoreReadsWhatTheStoreWrote) {
  latency_ = 20;
  stall_ = true;
  for (uint16_t a = 0; a < 16; ++a) obuf_[a] = {a, 0x11111111u * a, 7, 9};
  Job store, load, fetch;
  store.op = "DmaOpStore";
  store.buffer = "BufOut";
  store.dram_addr = 0x6000;
  store.row_words = 16;
  load.dram_addr = 0x6000;  // the same DRAM words
  load.row_words = 16;
  load.sram_addr = 200;
  Submit(store);
  Submit(load);
  WaitDone(2);
  // No read went out before the store's last response: the load saw the new data.
  ASSERT_FALSE(read_request_cycles_.empty());
  EXPECT_GE(read_request_cycles_.front(), done_cycles_[0]);
  for (uint32_t w = 0; w < 16; ++w) EXPECT_EQ((buffers_[{0, static_cast<int>(200 + w)}]), obuf_[w]);
  // A FETCH behind a STORE is not held (commands are never stored to) and completes in order.
  store.dram_addr = 0x7000;
  fetch.op = "DmaOpFetch";
  fetch.dram_addr = 0x4000;
  fetch.row_words = 8;
  read_request_cycles_.clear();
  Submit(store);
  Submit(fetch);
  WaitDone(4);
  ASSERT_FALSE(read_request_cycles_.empty());
  EXPECT_LT(read_request_cycles_.front(), done_cycles_[2]);
  EXPECT_FALSE(done_fetch_[2]);
  EXPECT_TRUE(done_fetch_[3]);
  ASSERT_EQ(cmd_beats_.size(), 8u);
  for (uint32_t i = 0; i < 8; ++i) EXPECT_EQ(cmd_beats_[i], DramWord(0x4000 + 16 * i));
}

// A protocol violation trips an RTL assertion (sa_dma NoJobWhileBusy); the harness turns it
// into a SimulationError instead of letting Verilator abort the process.
TEST_F(DmaRtlTest, AssertionFailureIsASimulationError) {
  latency_ = 30;
  Job job;
  job.row_words = 8;
  const auto& s = Pkg().Struct("dma_job_t");
  PutBits(sim_->job_i, s.field("row_words").lsb, 16, job.row_words);
  PutBits(sim_->job_i, s.field("rows").lsb, 16, 1);
  sim_->job_valid_i = 1;
  Cycle();
  ASSERT_FALSE(sim_->job_ready_o);
  EXPECT_THROW(Cycle(), SimulationError);  // job_valid_i still high: a second job while busy
}

}  // namespace
}  // namespace sasim
