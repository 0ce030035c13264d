// ArrayDriver: runs GEMMs through a Verilated sa_array, one fold per output tile.
//
// The driver plays the part the controller will play in sa_top: it walks the output tiles
// (Rows pixels x Cols channels), streams each tile's reduction steps unskewed into the array
// back to back (the array skews them itself), and collects the drained rows. Folds shorter
// than Rows steps get bubbles so that successive folds are Rows cycles apart (sa_array's rule).
#ifndef SASIM_SIM_ARRAY_DRIVER_H_
#define SASIM_SIM_ARRAY_DRIVER_H_

#include <cstdint>
#include <deque>
#include <memory>
#include <stdexcept>
#include <string>
#include <vector>

#include "contract/layer.h"
#include "sim/verilated_harness.h"

namespace sasim {

struct GemmRun {
  std::vector<int32_t> acc;  // [M][N] accumulators as drained
  std::vector<uint8_t> out;  // [M][N] requantized
  uint64_t cycles = 0;       // from the first operand to the last result
  uint64_t folds = 0;
  uint64_t acc_wraps = 0;    // accumulation steps that wrapped int32 (sa_array wraps_o)
};

template <class Model>
class ArrayDriver {
 public:
  ArrayDriver(int rows, int cols) : rows_(rows), cols_(cols), sim_("array") {
    ClearInputs();
    sim_.Reset(2);
  }

  int rows() const { return rows_; }
  int cols() const { return cols_; }
  uint64_t total_cycles() const { return sim_.cycle(); }

  // C = bias + (A - 128) * B for A [M][K] uint8, B [K][N] int8; both int32 and requantized.
  GemmRun RunGemm(int m, int n, int k, const std::vector<uint8_t>& a,
                  const std::vector<int8_t>& b, const std::vector<int32_t>& bias,
                  const RequantParams& requant) {
    if (m < 1 || n < 1 || k < 1) throw std::invalid_argument("RunGemm: empty GEMM");
    GemmRun run;
    run.acc.assign(static_cast<size_t>(m) * n, 0);
    run.out.assign(static_cast<size_t>(m) * n, 0);
    sim_->relu_i = requant.relu;
    sim_->shift_i = static_cast<uint8_t>(requant.shift);
    sim_->round_i = static_cast<uint8_t>(requant.rounding);

    struct Tile {
      int m0, n0, drained_rows;
    };
    std::deque<Tile> in_flight;
    const uint64_t start = sim_.cycle();
    const int fold_cycles = k < rows_ ? rows_ : k;

    auto collect = [&]() {
      run.acc_wraps += sim_->wraps_o;
      if (!sim_->out_valid_o) return;
      if (in_flight.empty()) throw std::logic_error("sa_array drained a row nobody asked for");
      Tile& tile = in_flight.front();
      const int row = sim_->out_row_o;
      const int mi = tile.m0 + row;
      if (mi < m) {
        for (int c = 0; c < cols_ && tile.n0 + c < n; ++c) {
          const size_t idx = static_cast<size_t>(mi) * n + tile.n0 + c;
          run.acc[idx] = static_cast<int32_t>(GetBits(sim_->out_acc_o, 32 * c, 32));
          run.out[idx] = static_cast<uint8_t>(GetBits(sim_->out_q_o, 8 * c, 8));
        }
      }
      if (++tile.drained_rows == rows_) in_flight.pop_front();
    };

    for (int n0 = 0; n0 < n; n0 += cols_) {
      for (int m0 = 0; m0 < m; m0 += rows_) {
        in_flight.push_back({m0, n0, 0});
        ++run.folds;
        for (int t = 0; t < fold_cycles; ++t) {
          const bool valid = t < k;
          sim_->in_valid_i = valid;
          sim_->in_first_i = valid && t == 0;
          sim_->in_last_i = valid && t == k - 1;
          for (int r = 0; r < rows_; ++r) {
            // Rows past M and bubbles get the zero point, as sa_compute gives idle rows.
            const int mi = m0 + r;
            PutBits(sim_->act_i, 8 * r, 8,
                    (valid && mi < m) ? a[static_cast<size_t>(mi) * k + t] : 128);
          }
          for (int c = 0; c < cols_; ++c) {
            const int ni = n0 + c;
            const bool col = ni < n;
            PutBits(sim_->wgt_i, 8 * c, 8,
                    static_cast<uint8_t>(valid && col ? b[static_cast<size_t>(t) * n + ni] : 0));
            // The bias holds for the whole fold, bubbles included (sa_array's rule).
            PutBits(sim_->bias_i, 32 * c, 32, static_cast<uint32_t>(col ? bias[ni] : 0));
          }
          sim_.Tick();
          collect();
        }
      }
    }
    ClearInputs();
    // Drain: the last fold leaves within Rows + Cols + Rows cycles.
    const int limit = 2 * rows_ + cols_ + 4;
    for (int i = 0; i < limit && !in_flight.empty(); ++i) {
      sim_.Tick();
      collect();
    }
    // The last steps' wrap flags leave one cycle after them, long before the last result.
    if (!in_flight.empty()) {
      throw std::runtime_error("sa_array did not drain " + std::to_string(in_flight.size()) +
                               " fold(s) within " + std::to_string(limit) + " cycles");
    }
    run.cycles = sim_.cycle() - start;
    return run;
  }

 private:
  void ClearInputs() {
    sim_->in_valid_i = 0;
    sim_->in_first_i = 0;
    sim_->in_last_i = 0;
    for (int r = 0; r < rows_; ++r) PutBits(sim_->act_i, 8 * r, 8, 128);
    for (int c = 0; c < cols_; ++c) {
      PutBits(sim_->wgt_i, 8 * c, 8, 0);
      PutBits(sim_->bias_i, 32 * c, 32, 0);
    }
  }

  int rows_;
  int cols_;
  VerilatedHarness<Model> sim_;
};

}  // namespace sasim

#endif  // SASIM_SIM_ARRAY_DRIVER_H_
