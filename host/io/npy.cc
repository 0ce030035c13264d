#include "host/io/npy.h"

#include <cstring>
#include <fstream>
#include <regex>

#include <fmt/core.h>

#include "contract/errors.h"
#include "host/io/files.h"

namespace sasim {
namespace {

int ItemSize(const std::string& dtype) {
  if (dtype == "u1" || dtype == "i1") return 1;
  if (dtype == "i4" || dtype == "f4") return 4;
  if (dtype == "f8" || dtype == "i8") return 8;
  return 0;
}

}  // namespace

std::string ShapeString(const std::vector<int64_t>& shape) {
  std::string s = "(";
  for (size_t i = 0; i < shape.size(); ++i) s += (i ? ", " : "") + std::to_string(shape[i]);
  return s + (shape.size() == 1 ? ",)" : ")");
}

int64_t NpyArray::size() const {
  int64_t n = 1;
  for (int64_t d : shape) n *= d;
  return n;
}

template <class T>
std::vector<T> NpyArray::As() const {
  std::vector<T> out(static_cast<size_t>(size()));
  for (size_t i = 0; i < out.size(); ++i) {
    if (dtype == "u1") {
      out[i] = static_cast<T>(data[i]);
    } else if (dtype == "i1") {
      out[i] = static_cast<T>(static_cast<int8_t>(data[i]));
    } else if (dtype == "i4") {
      int32_t v;
      std::memcpy(&v, &data[4 * i], 4);
      out[i] = static_cast<T>(v);
    } else if (dtype == "i8") {
      int64_t v;
      std::memcpy(&v, &data[8 * i], 8);
      out[i] = static_cast<T>(v);
    } else if (dtype == "f4") {
      float v;
      std::memcpy(&v, &data[4 * i], 4);
      out[i] = static_cast<T>(v);
    } else {
      double v;
      std::memcpy(&v, &data[8 * i], 8);
      out[i] = static_cast<T>(v);
    }
  }
  return out;
}
template std::vector<uint8_t> NpyArray::As<uint8_t>() const;
template std::vector<int8_t> NpyArray::As<int8_t>() const;
template std::vector<int32_t> NpyArray::As<int32_t>() const;
template std::vector<double> NpyArray::As<double>() const;

NpyArray ReadNpy(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw InputError(fmt::format("{}: cannot open file", path));
  char magic[8];
  if (!in.read(magic, 8) || std::memcmp(magic, "\x93NUMPY", 6) != 0) {
    throw InputError(fmt::format("{}: not a .npy file (bad magic)", path));
  }
  uint32_t header_len = 0;
  if (magic[6] == 1) {
    uint8_t len[2];
    in.read(reinterpret_cast<char*>(len), 2);
    header_len = len[0] | (len[1] << 8);
  } else {
    uint8_t len[4];
    in.read(reinterpret_cast<char*>(len), 4);
    header_len = len[0] | (len[1] << 8) | (len[2] << 16) | (static_cast<uint32_t>(len[3]) << 24);
  }
  std::string header(header_len, '\0');
  if (!in.read(header.data(), header_len)) {
    throw InputError(fmt::format("{}: truncated .npy header", path));
  }
  std::smatch m;
  if (!std::regex_search(header, m, std::regex("'descr':\\s*'([<>|=])([uif][0-9])'"))) {
    throw InputError(fmt::format("{}: .npy header has no dtype", path));
  }
  NpyArray a;
  a.dtype = m[2];
  if (ItemSize(a.dtype) == 0) {
    throw InputError(fmt::format("{}: dtype '{}' not supported (use uint8, int8, int32, int64, "
                                 "float32 or float64)", path, std::string(m[1]) + a.dtype));
  }
  if (m[1] == ">" && ItemSize(a.dtype) > 1) {
    throw InputError(fmt::format("{}: big-endian data is not supported", path));
  }
  if (std::regex_search(header, std::regex("'fortran_order':\\s*True"))) {
    throw InputError(fmt::format("{}: Fortran-order arrays are not supported", path));
  }
  if (!std::regex_search(header, m, std::regex("'shape':\\s*\\(([^)]*)\\)"))) {
    throw InputError(fmt::format("{}: .npy header has no shape", path));
  }
  const std::string dims = m[1];
  const std::regex number("[0-9]+");
  for (std::sregex_iterator it(dims.begin(), dims.end(), number), end; it != end; ++it) {
    a.shape.push_back(std::stoll(it->str()));
  }
  const size_t bytes = static_cast<size_t>(a.size()) * ItemSize(a.dtype);
  a.data.resize(bytes);
  if (!in.read(reinterpret_cast<char*>(a.data.data()), static_cast<std::streamsize>(bytes))) {
    throw InputError(fmt::format("{}: file ends before its {} data bytes", path, bytes));
  }
  return a;
}

std::string EncodeNpy(const std::string& dtype, const std::vector<int64_t>& shape, const void* data,
                      size_t bytes) {
  std::string header = fmt::format("{{'descr': '{}{}', 'fortran_order': False, 'shape': {}, }}",
                                   dtype[0] == 'u' || dtype == "i1" ? "|" : "<", dtype,
                                   ShapeString(shape));
  const size_t total = 10 + header.size() + 1;
  header.append((64 - total % 64) % 64, ' ');
  header += '\n';
  std::string out("\x93NUMPY\x01\x00", 8);
  const auto len = static_cast<uint16_t>(header.size());
  out += static_cast<char>(len & 0xff);
  out += static_cast<char>(len >> 8);
  out += header;
  out.append(static_cast<const char*>(data), bytes);
  return out;
}

void WriteNpy(const std::string& path, const std::string& dtype, const std::vector<int64_t>& shape,
              const void* data, size_t bytes) {
  WriteFileAtomically(path, EncodeNpy(dtype, shape, data, bytes));
}

}  // namespace sasim
