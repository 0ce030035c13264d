// Input images: float .npy quantized with the net's input scale; uint8 .npy used as is.
#include <cstdio>
#include <filesystem>
#include <vector>

#include <gtest/gtest.h>

#include "host/io/npy.h"
#include "host/net/prepare.h"

namespace sasim {
namespace {

TEST(InputTest, FloatNpyIsQuantizedWithTheInputScale) {
  InputFormat net;
  net.net_name = "n";
  net.shape = {1, 2, 3};
  net.input_exp = 2;  // s_x = 1/4: code = round(x * 4) + 128, ties to even
  const std::vector<float> real = {0.0f, 0.125f, 0.375f, -1.0f, 100.0f, -100.0f};
  const auto path = (std::filesystem::temp_directory_path() / "input_test.npy").string();
  WriteNpy(path, "f4", {1, 2, 3}, real.data(), real.size() * sizeof(float));
  const auto img = LoadInputImage(path, 0, net);
  // 0 -> 128; 0.5 -> 0 (tie to even) -> 128; 1.5 -> 2 -> 130; -4 -> 124; clamps at 255 and 0.
  EXPECT_EQ(img, (std::vector<uint8_t>{128, 128, 130, 124, 255, 0}));
  const std::vector<uint8_t> codes = {1, 2, 3, 4, 5, 6};
  WriteNpy(path, "u1", {1, 2, 3}, codes.data(), codes.size());
  EXPECT_EQ(LoadInputImage(path, 0, net), codes);
  std::remove(path.c_str());
}

TEST(InputTest, NpyRoundTripKeepsDtypeAndShape) {
  const std::vector<int32_t> v = {-5, 7, 1 << 30};
  const auto path = (std::filesystem::temp_directory_path() / "roundtrip.npy").string();
  WriteNpy(path, "i4", {3}, v.data(), v.size() * 4);
  const NpyArray a = ReadNpy(path);
  EXPECT_EQ(a.dtype, "i4");
  EXPECT_EQ(a.shape, (std::vector<int64_t>{3}));
  EXPECT_EQ(a.As<int32_t>(), v);
  std::remove(path.c_str());
}

}  // namespace
}  // namespace sasim
