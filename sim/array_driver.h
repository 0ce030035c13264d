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
#include "verilated.h"

namespace sasim {

struct GemmRun {
  std::vector<int32_t> acc;  // [M][N] accumulators as drained
  std::vector<uint8_t> out;  // [M][N] requantized
  uint64_t cycles = 0;       // from the first operand to the last result
  uint64_t folds = 0;
};

template <class Model>
class ArrayDriver {
 public:
  ArrayDriver(int rows, int cols)
      : rows_(rows), cols_(cols), context_(std::make_unique<VerilatedContext>()) {
    context_->commandArgs(0, static_cast<const char**>(nullptr));
    model_ = std::make_unique<Model>(context_.get(), "array");
    model_->clk_i = 0;
    model_->rst_ni = 0;
    ClearInputs();
    model_->eval();
    for (int i = 0; i < 2; ++i) Tick();
    model_->rst_ni = 1;
    Tick();
  }
  ~ArrayDriver() { model_->final(); }
  ArrayDriver(const ArrayDriver&) = delete;
  ArrayDriver& operator=(const ArrayDriver&) = delete;

  int rows() const { return rows_; }
  int cols() const { return cols_; }
  uint64_t total_cycles() const { return total_cycles_; }

  // C = bias + (A - 128) * B for A [M][K] uint8, B [K][N] int8; both int32 and requantized.
  GemmRun RunGemm(int m, int n, int k, const std::vector<uint8_t>& a,
                  const std::vector<int8_t>& b, const std::vector<int32_t>& bias,
                  const RequantParams& requant) {
    if (m < 1 || n < 1 || k < 1) throw std::invalid_argument("RunGemm: empty GEMM");
    GemmRun run;
    run.acc.assign(static_cast<size_t>(m) * n, 0);
    run.out.assign(static_cast<size_t>(m) * n, 0);
    model_->relu_i = requant.relu;
    model_->shift_i = static_cast<uint8_t>(requant.shift);
    model_->round_i = static_cast<uint8_t>(requant.rounding);

    struct Tile {
      int m0, n0, drained_rows;
    };
    std::deque<Tile> in_flight;
    const uint64_t start = total_cycles_;
    const int fold_cycles = k < rows_ ? rows_ : k;

    auto collect = [&]() {
      if (!model_->out_valid_o) return;
      if (in_flight.empty()) throw std::logic_error("sa_array drained a row nobody asked for");
      Tile& tile = in_flight.front();
      const int row = model_->out_row_o;
      const int mi = tile.m0 + row;
      if (mi < m) {
        for (int c = 0; c < cols_ && tile.n0 + c < n; ++c) {
          const size_t idx = static_cast<size_t>(mi) * n + tile.n0 + c;
          run.acc[idx] = static_cast<int32_t>(model_->out_acc_o[c]);
          run.out[idx] = model_->out_q_o[c];
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
          model_->in_valid_i = valid;
          model_->in_first_i = valid && t == 0;
          model_->in_last_i = valid && t == k - 1;
          for (int r = 0; r < rows_; ++r) {
            const int mi = m0 + r;
            model_->act_i[r] = (valid && mi < m) ? a[static_cast<size_t>(mi) * k + t] : 0;
          }
          for (int c = 0; c < cols_; ++c) {
            const int ni = n0 + c;
            const bool col = ni < n;
            model_->wgt_i[c] =
                static_cast<uint8_t>(valid && col ? b[static_cast<size_t>(t) * n + ni] : 0);
            // The bias holds for the whole fold, bubbles included (sa_array's rule).
            model_->bias_i[c] = static_cast<uint32_t>(col ? bias[ni] : 0);
          }
          Tick();
          collect();
        }
      }
    }
    ClearInputs();
    // Drain: the last fold leaves within Rows + Cols + Rows cycles.
    const int limit = 2 * rows_ + cols_ + 4;
    for (int i = 0; i < limit && !in_flight.empty(); ++i) {
      Tick();
      collect();
    }
    if (!in_flight.empty()) {
      throw std::runtime_error("sa_array did not drain " + std::to_string(in_flight.size()) +
                               " fold(s) within " + std::to_string(limit) + " cycles");
    }
    run.cycles = total_cycles_ - start;
    return run;
  }

 private:
  void ClearInputs() {
    model_->in_valid_i = 0;
    model_->in_first_i = 0;
    model_->in_last_i = 0;
    for (int r = 0; r < rows_; ++r) model_->act_i[r] = 0;
    for (int c = 0; c < cols_; ++c) {
      model_->wgt_i[c] = 0;
      model_->bias_i[c] = 0;
    }
  }

  // One clock: inputs were set while the clock was low; outputs are read after the rising edge.
  void Tick() {
    model_->clk_i = 1;
    model_->eval();
    context_->timeInc(1);
    model_->clk_i = 0;
    model_->eval();
    context_->timeInc(1);
    ++total_cycles_;
  }

  int rows_;
  int cols_;
  uint64_t total_cycles_ = 0;
  std::unique_ptr<VerilatedContext> context_;
  std::unique_ptr<Model> model_;
};

}  // namespace sasim

#endif  // SASIM_SIM_ARRAY_DRIVER_H_
