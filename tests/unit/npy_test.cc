// The .npy reader and writer at their limits: headers padded far beyond the usual 64 bytes,
// version 2.0, empty and 0-d arrays, shapes that would overflow, element conversions that would
// be undefined, and writes that fail (a full disk must be an error, never a short file).
#include <signal.h>
#include <sys/resource.h>
#include <unistd.h>

#include <cmath>
#include <cstdint>
#include <filesystem>
#include <fstream>
#include <limits>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "contract/errors.h"
#include "host/io/npy.h"

namespace sasim {
namespace {

namespace fs = std::filesystem;

fs::path TempDir() {
  const fs::path dir = fs::temp_directory_path() / ("sasim_npy_test_" + std::to_string(::getpid()));
  fs::create_directories(dir);
  return dir;
}

// Writes a .npy file by hand: any version, any header text, any data.
void WriteRaw(const fs::path& path, int major, const std::string& header, const std::string& data) {
  std::string file = std::string("\x93NUMPY", 6) + static_cast<char>(major) + '\0';
  const uint32_t len = static_cast<uint32_t>(header.size());
  for (int k = 0; k < (major == 1 ? 2 : 4); ++k) file += static_cast<char>((len >> (8 * k)) & 0xff);
  std::ofstream(path, std::ios::binary) << file << header << data;
}

std::string Message(const fs::path& path) {
  try {
    ReadNpy(path.string());
  } catch (const InputError& e) {
    return e.what();
  }
  return "(no error)";
}

TEST(NpyTest, HeaderPaddedWithFortyThousandBlanksIsRead) {
  const fs::path path = TempDir() / "padded.npy";
  const std::string header =
      "{'descr': '<i4', 'fortran_order': False, 'shape': (2,), }" + std::string(40000, ' ') + "\n";
  const int32_t v[2] = {-7, 1 << 20};
  WriteRaw(path, 2, header, std::string(reinterpret_cast<const char*>(v), 8));
  const NpyArray a = ReadNpy(path.string());
  EXPECT_EQ(a.shape, (std::vector<int64_t>{2}));
  EXPECT_EQ(a.As<int32_t>(), (std::vector<int32_t>{-7, 1 << 20}));
  fs::remove(path);
}

TEST(NpyTest, EmptyAndZeroDimensionalArrays) {
  const fs::path dir = TempDir();
  WriteRaw(dir / "empty.npy", 1, "{'descr': '|u1', 'fortran_order': False, 'shape': (0, 5), }\n",
           "");
  const NpyArray empty = ReadNpy((dir / "empty.npy").string());
  EXPECT_EQ(empty.size(), 0);
  EXPECT_TRUE(empty.As<uint8_t>().empty());
  // A zero dimension makes any other dimension harmless.
  WriteRaw(dir / "zero.npy", 1,
           "{'descr': '|u1', 'fortran_order': False, 'shape': (0, 9223372036854775807), }\n", "");
  EXPECT_EQ(ReadNpy((dir / "zero.npy").string()).size(), 0);
  WriteRaw(dir / "scalar.npy", 1, "{'shape': (), 'fortran_order': False, 'descr': '<f8', }\n",
           std::string("\0\0\0\0\0\0\xf0\x3f", 8));
  EXPECT_EQ(ReadNpy((dir / "scalar.npy").string()).As<double>(), (std::vector<double>{1.0}));
  fs::remove_all(dir);
}

TEST(NpyTest, OverflowingShapesAreRefusedBeforeAllocating) {
  const fs::path path = TempDir() / "big.npy";
  for (const std::string shape : {"(3037000500, 3037000500)", "(4611686018427387904, 4)",
                                  "(65536, 65536)", "(2147483648,)"}) {
    SCOPED_TRACE(shape);
    WriteRaw(path, 1, "{'descr': '|u1', 'fortran_order': False, 'shape': " + shape + ", }\n", "");
    EXPECT_NE(Message(path).find("accepted"), std::string::npos) << Message(path);
  }
  // Within the bounds, but the file does not hold the data: refused from the file size.
  WriteRaw(path, 1, "{'descr': '<f8', 'fortran_order': False, 'shape': (8192, 8192), }\n", "");
  EXPECT_EQ(Message(path), path.string() + ": file ends before its 536870912 data bytes");
  fs::remove(path);
}

TEST(NpyTest, SizeNeverOverflows) {
  NpyArray a;
  a.dtype = "u1";
  a.shape = {int64_t{1} << 40, int64_t{1} << 40};
  EXPECT_THROW(a.size(), InputError);
  a.shape = {-1, 4};
  EXPECT_THROW(a.size(), InputError);
  a.shape = {2, 3};
  EXPECT_EQ(a.size(), 6);
  // Data shorter than the shape: refused, not read past its end.
  a.data.resize(5);
  EXPECT_THROW(a.As<uint8_t>(), InputError);
}

TEST(NpyTest, FloatsConvertToIntegersSaturated) {
  NpyArray a;
  a.dtype = "f8";
  a.shape = {4};
  const double v[4] = {1e300, -1e300, std::nan(""), -3.75};
  a.data.assign(reinterpret_cast<const uint8_t*>(v), reinterpret_cast<const uint8_t*>(v) + 32);
  EXPECT_EQ(a.As<int32_t>(), (std::vector<int32_t>{std::numeric_limits<int32_t>::max(),
                                                   std::numeric_limits<int32_t>::min(), 0, -3}));
  EXPECT_EQ(a.As<uint8_t>(), (std::vector<uint8_t>{255, 0, 0, 0}));
}

TEST(NpyTest, WriteRefusesDataThatDoesNotMatchTheShape) {
  const fs::path path = TempDir() / "mismatch.npy";
  const std::vector<uint8_t> data(5);
  EXPECT_THROW(WriteNpy(path.string(), "u1", {2, 3}, data.data(), data.size()), InputError);
  EXPECT_THROW(WriteNpy(path.string(), "c16", {5}, data.data(), data.size()), InputError);
  EXPECT_FALSE(fs::exists(path));
}

TEST(NpyTest, WriteIntoAMissingDirectoryIsAnInputError) {
  const std::vector<uint8_t> data(4);
  EXPECT_THROW(WriteNpy("/nonexistent/dir/x.npy", "u1", {4}, data.data(), data.size()), InputError);
}

// A write that fails halfway (here: the file size limit, as a full disk would) is an error and
// leaves no file behind, neither the target nor the temporary.
TEST(NpyTest, FailedWriteIsAnErrorAndLeavesNoFile) {
  const fs::path dir = TempDir() / "full";
  fs::create_directories(dir);
  const fs::path path = dir / "out.npy";
  struct rlimit old {};
  ASSERT_EQ(::getrlimit(RLIMIT_FSIZE, &old), 0);
  const auto old_handler = ::signal(SIGXFSZ, SIG_IGN);
  struct rlimit small = old;
  small.rlim_cur = 4096;
  ASSERT_EQ(::setrlimit(RLIMIT_FSIZE, &small), 0);
  const std::vector<uint8_t> data(1 << 20);
  bool thrown = false;
  try {
    WriteNpy(path.string(), "u1", {1 << 20}, data.data(), data.size());
  } catch (const InputError& e) {
    thrown = true;
    EXPECT_EQ(std::string(e.what()).rfind(path.string() + ": write failed", 0), 0u) << e.what();
  }
  ::setrlimit(RLIMIT_FSIZE, &old);
  ::signal(SIGXFSZ, old_handler);
  EXPECT_TRUE(thrown);
  EXPECT_TRUE(fs::is_empty(dir));
  fs::remove_all(dir);
}

}  // namespace
}  // namespace sasim
