// sa_pool (Verilated, 4 lanes) against the golden max-pool.
#include <cstdint>
#include <memory>
#include <random>
#include <vector>

#include <gtest/gtest.h>

#include "Vsa_pool.h"
#include "host/golden/golden.h"
#include "sim/verilated_harness.h"

namespace sasim {
namespace {

constexpr int kLanes = 4;  // rtl/CMakeLists.txt builds Vsa_pool with Lanes=4

class PoolRtlTest : public ::testing::Test {
 protected:
  void SetUp() override { sim_.Reset(1); }

  void Tick() {
    sim_.Tick();
    if (sim_->out_valid_o) {
      std::vector<uint8_t> beat(kLanes);
      for (int l = 0; l < kLanes; ++l) {
        beat[l] = static_cast<uint8_t>(GetBits(sim_->out_data_o, 8 * l, 8));
      }
      outputs_.push_back(beat);
    }
  }

  void Beat(const std::vector<uint8_t>& lanes) {
    sim_->in_valid_i = 1;
    for (int l = 0; l < kLanes; ++l) PutBits(sim_->in_data_i, 8 * l, 8, lanes[l]);
    Tick();
    sim_->in_valid_i = 0;
  }

  VerilatedHarness<Vsa_pool> sim_{"pool"};
  std::vector<std::vector<uint8_t>> outputs_;
};

TEST_F(PoolRtlTest, WindowOrderedStreamMatchesGolden) {
  std::mt19937 rng(7);
  std::uniform_int_distribution<int> byte(0, 255);
  std::bernoulli_distribution gap(0.3);
  for (int trial = 0; trial < 50; ++trial) {
    const int h = 2 * (1 + trial % 5);
    const int w = 2 * (1 + (trial / 5) % 4);
    std::vector<uint8_t> x(static_cast<size_t>(kLanes) * h * w);
    for (auto& v : x) v = static_cast<uint8_t>(byte(rng));
    outputs_.clear();
    sim_->clear_i = 1;
    Tick();
    sim_->clear_i = 0;
    sim_->pool_en_i = 1;
    for (int y = 0; y < h / 2; ++y) {
      for (int xo = 0; xo < w / 2; ++xo) {
        for (int d = 0; d < 4; ++d) {
          while (gap(rng)) Tick();  // idle cycles must not disturb a window
          std::vector<uint8_t> beat(kLanes);
          for (int l = 0; l < kLanes; ++l) {
            beat[l] = x[(static_cast<size_t>(l) * h + 2 * y + d / 2) * w + 2 * xo + d % 2];
          }
          Beat(beat);
        }
      }
    }
    Tick();
    const auto expected = golden::MaxPool2d(kLanes, h, w, 2, 2, x);
    ASSERT_EQ(outputs_.size(), static_cast<size_t>(h / 2 * w / 2));
    for (size_t p = 0; p < outputs_.size(); ++p) {
      for (int l = 0; l < kLanes; ++l) {
        ASSERT_EQ(outputs_[p][l], expected[l * outputs_.size() + p])
            << "trial " << trial << " pixel " << p << " lane " << l;
      }
    }
  }
}

TEST_F(PoolRtlTest, BypassPassesEveryBeat) {
  sim_->pool_en_i = 0;
  Beat({1, 2, 3, 4});
  Beat({250, 0, 7, 128});
  Tick();
  ASSERT_EQ(outputs_.size(), 2u);
  EXPECT_EQ(outputs_[0], (std::vector<uint8_t>{1, 2, 3, 4}));
  EXPECT_EQ(outputs_[1], (std::vector<uint8_t>{250, 0, 7, 128}));
}

TEST_F(PoolRtlTest, ClearRestartsAWindow) {
  sim_->pool_en_i = 1;
  Beat({9, 9, 9, 9});  // a partial window, abandoned
  sim_->clear_i = 1;
  Tick();
  sim_->clear_i = 0;
  for (uint8_t v : {1, 4, 2, 3}) Beat({v, v, v, v});
  Tick();
  ASSERT_EQ(outputs_.size(), 1u);
  EXPECT_EQ(outputs_[0], (std::vector<uint8_t>{4, 4, 4, 4}));
}

}  // namespace
}  // namespace sasim
