#include "host/io/npy.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cmath>
#include <cstring>
#include <limits>
#include <optional>
#include <string_view>
#include <type_traits>

#include <fmt/core.h>

#include "contract/errors.h"
#include "host/io/files.h"

namespace sasim {
namespace {

constexpr size_t kMaxDims = 32;


// Reads up to `n` bytes; fewer only at the end of the file.
size_t ReadUpTo(const std::string& path, int fd, void* buf, size_t n) {
  size_t done = 0;
  while (done < n) {
    const ssize_t got = ::read(fd, static_cast<char*>(buf) + done, n - done);
    if (got < 0 && errno == EINTR) continue;
    if (got < 0) {
      throw InputError(fmt::format("{}: read failed ({})", path, std::strerror(errno)));
    }
    if (got == 0) break;
    done += static_cast<size_t>(got);
  }
  return done;
}

struct Header {
  std::optional<std::string> descr;
  std::optional<bool> fortran_order;
  std::optional<std::vector<int64_t>> shape;
};

// The header is a Python dict literal, e.g. {'descr': '<i4', 'fortran_order': False,
// 'shape': (3, 4), } padded with blanks and a newline. This parser takes exactly that grammar
// (strings without escapes, True/False, tuples of non-negative integers), in one pass without
// recursion; anything else is an error.
class HeaderParser {
 public:
  explicit HeaderParser(std::string_view text) : s_(text) {}

  // Returns "" or what is wrong.
  std::string Parse(Header* h) {
    if (!Consume('{')) return "expected '{'";
    while (!Consume('}')) {
      std::string key;
      if (!String(&key)) return "expected a quoted key";
      if (!Consume(':')) return fmt::format("expected ':' after '{}'", key);
      if (key == "descr") {
        if (h->descr) return "'descr' given twice";
        std::string v;
        if (!String(&v)) return "'descr' is not a string (structured dtypes are not supported)";
        h->descr = v;
      } else if (key == "fortran_order") {
        if (h->fortran_order) return "'fortran_order' given twice";
        bool v = false;
        if (!Bool(&v)) return "'fortran_order' is not True or False";
        h->fortran_order = v;
      } else if (key == "shape") {
        if (h->shape) return "'shape' given twice";
        std::vector<int64_t> v;
        const std::string why = Tuple(&v);
        if (!why.empty()) return why;
        h->shape = v;
      } else {
        return "unknown key (expected descr, fortran_order, shape)";
      }
      if (!Consume(',')) {
        if (!Consume('}')) return "expected ',' or '}'";
        break;
      }
    }
    SkipSpace();
    if (i_ != s_.size()) return "text after the closing '}'";
    return "";
  }

 private:
  void SkipSpace() {
    while (i_ < s_.size() &&
           (s_[i_] == ' ' || s_[i_] == '\t' || s_[i_] == '\n' || s_[i_] == '\r')) {
      ++i_;
    }
  }

  bool Consume(char c) {
    SkipSpace();
    if (i_ < s_.size() && s_[i_] == c) {
      ++i_;
      return true;
    }
    return false;
  }

  bool String(std::string* out) {
    SkipSpace();
    if (i_ >= s_.size() || (s_[i_] != '\'' && s_[i_] != '"')) return false;
    const char quote = s_[i_++];
    const size_t start = i_;
    while (i_ < s_.size() && s_[i_] != quote) {
      if (s_[i_] == '\\' || s_[i_] == '\n') return false;
      ++i_;
    }
    if (i_ >= s_.size()) return false;
    *out = std::string(s_.substr(start, i_ - start));
    ++i_;
    return true;
  }

  bool Word(std::string_view word) {
    SkipSpace();
    if (s_.substr(i_, word.size()) != word) return false;
    i_ += word.size();
    return true;
  }

  bool Bool(bool* out) {
    if (Word("True")) return *out = true, true;
    if (Word("False")) return *out = false, true;
    return false;
  }

  std::string Tuple(std::vector<int64_t>* dims) {
    if (!Consume('(')) return "'shape' is not a tuple";
    while (!Consume(')')) {
      SkipSpace();
      if (i_ >= s_.size() || s_[i_] < '0' || s_[i_] > '9') {
        return "'shape' must hold non-negative integers";
      }
      int64_t d = 0;
      while (i_ < s_.size() && s_[i_] >= '0' && s_[i_] <= '9') {
        const int digit = s_[i_++] - '0';
        if (d > (std::numeric_limits<int64_t>::max() - digit) / 10) {
          return "a dimension is too large";
        }
        d = d * 10 + digit;
      }
      if (i_ < s_.size() && s_[i_] == 'L') ++i_;  // Python 2 long
      if (dims->size() == kMaxDims) return fmt::format("more than {} dimensions", kMaxDims);
      dims->push_back(d);
      if (!Consume(',')) {
        if (!Consume(')')) return "expected ',' or ')' in 'shape'";
        break;
      }
    }
    return "";
  }

  std::string_view s_;
  size_t i_ = 0;
};

// Elements of a shape, or nullopt when a dimension is negative or the count exceeds `max`.
std::optional<int64_t> ElementCount(const std::vector<int64_t>& shape, int64_t max) {
  for (int64_t d : shape) {
    if (d < 0) return std::nullopt;
  }
  for (int64_t d : shape) {
    if (d == 0) return 0;  // no matter how large the other dimensions are
  }
  int64_t n = 1;
  for (int64_t d : shape) {
    if (__builtin_mul_overflow(n, d, &n) || n > max) return std::nullopt;
  }
  return n;
}

template <class T, class S>
T Convert(S v) {
  if constexpr (std::is_integral_v<T> && std::is_floating_point_v<S>) {
    if (std::isnan(v)) return 0;
    if (v <= static_cast<S>(std::numeric_limits<T>::min())) return std::numeric_limits<T>::min();
    if (v >= static_cast<S>(std::numeric_limits<T>::max())) return std::numeric_limits<T>::max();
  }
  return static_cast<T>(v);
}

template <class S>
S Load(const uint8_t* p) {
  S v;
  std::memcpy(&v, p, sizeof(S));
  return v;
}

}  // namespace

int NpyItemSize(const std::string& dtype) {
  if (dtype == "u1" || dtype == "i1") return 1;
  if (dtype == "i4" || dtype == "f4") return 4;
  if (dtype == "f8" || dtype == "i8") return 8;
  return 0;
}

std::string ShapeString(const std::vector<int64_t>& shape) {
  std::string s = "(";
  for (size_t i = 0; i < shape.size(); ++i) s += (i ? ", " : "") + std::to_string(shape[i]);
  return s + (shape.size() == 1 ? ",)" : ")");
}

int64_t NpyArray::size() const {
  const auto n = ElementCount(shape, kNpyMaxElements);
  if (!n) {
    throw InputError(fmt::format("tensor shape {} has a negative dimension or over {} elements",
                                 ShapeString(shape), kNpyMaxElements));
  }
  return *n;
}

template <class T>
std::vector<T> NpyArray::As() const {
  const int item = NpyItemSize(dtype);
  if (item == 0) throw InputError(fmt::format("tensor dtype '{}' not supported", dtype));
  const size_t n = static_cast<size_t>(size());
  if (data.size() / static_cast<size_t>(item) < n) {
    throw InputError(fmt::format("tensor of shape {} has {} bytes of {} data, expected {}",
                                 ShapeString(shape), data.size(), dtype, n * item));
  }
  std::vector<T> out(n);
  const uint8_t* p = data.data();
  for (size_t i = 0; i < n; ++i) {
    if (dtype == "u1") {
      out[i] = Convert<T>(p[i]);
    } else if (dtype == "i1") {
      out[i] = Convert<T>(static_cast<int8_t>(p[i]));
    } else if (dtype == "i4") {
      out[i] = Convert<T>(Load<int32_t>(p + 4 * i));
    } else if (dtype == "i8") {
      out[i] = Convert<T>(Load<int64_t>(p + 8 * i));
    } else if (dtype == "f4") {
      out[i] = Convert<T>(Load<float>(p + 4 * i));
    } else {
      out[i] = Convert<T>(Load<double>(p + 8 * i));
    }
  }
  return out;
}
template std::vector<uint8_t> NpyArray::As<uint8_t>() const;
template std::vector<int8_t> NpyArray::As<int8_t>() const;
template std::vector<int32_t> NpyArray::As<int32_t>() const;
template std::vector<double> NpyArray::As<double>() const;

NpyArray ReadNpy(const std::string& path) {
  struct stat st {};
  if (!path.empty() && ::stat(path.c_str(), &st) != 0 && errno == ENOENT) {
    throw InputError(fmt::format("{}: cannot open file", path));
  }
  RequireRegularFile(path, "tensor");
  // O_NONBLOCK: should the file have been swapped for a FIFO since the check, open does not
  // block; fstat then refuses it.
  Fd fd(::open(path.c_str(), O_RDONLY | O_CLOEXEC | O_NONBLOCK));
  if (fd.get() < 0) {
    throw InputError(fmt::format("{}: cannot open file ({})", path, std::strerror(errno)));
  }
  if (::fstat(fd.get(), &st) != 0 || !S_ISREG(st.st_mode)) {
    throw InputError(fmt::format("{}: not a regular file", path));
  }
  const uint64_t file_size = static_cast<uint64_t>(st.st_size);

  // Preamble: magic, version, header length (2 bytes in 1.0, 4 in 2.0 and 3.0).
  uint8_t pre[12];
  if (ReadUpTo(path, fd.get(), pre, 8) != 8 || std::memcmp(pre, "\x93NUMPY", 6) != 0) {
    throw InputError(fmt::format("{}: not a .npy file (bad magic)", path));
  }
  const int major = pre[6];
  if (major < 1 || major > 3) {
    throw InputError(fmt::format("{}: .npy format version {}.{} not supported (1.0 to 3.0)", path,
                                 major, pre[7]));
  }
  const size_t len_bytes = major == 1 ? 2 : 4;
  if (ReadUpTo(path, fd.get(), pre + 8, len_bytes) != len_bytes) {
    throw InputError(fmt::format("{}: truncated .npy header", path));
  }
  uint32_t header_len = 0;
  for (size_t k = 0; k < len_bytes; ++k) header_len |= static_cast<uint32_t>(pre[8 + k]) << (8 * k);
  if (header_len > kNpyMaxHeaderBytes) {
    throw InputError(fmt::format("{}: .npy header of {} bytes, more than the {} accepted", path,
                                 header_len, kNpyMaxHeaderBytes));
  }
  std::string text(header_len, '\0');
  if (ReadUpTo(path, fd.get(), text.data(), header_len) != header_len) {
    throw InputError(fmt::format("{}: truncated .npy header", path));
  }

  Header h;
  const std::string why = HeaderParser(text).Parse(&h);
  if (!why.empty()) throw InputError(fmt::format("{}: bad .npy header: {}", path, why));
  if (!h.descr) throw InputError(fmt::format("{}: .npy header has no dtype", path));
  if (!h.shape) throw InputError(fmt::format("{}: .npy header has no shape", path));
  const std::string& descr = *h.descr;
  NpyArray a;
  const bool has_order = !descr.empty() && std::strchr("<>|=", descr[0]) != nullptr;
  a.dtype = has_order ? descr.substr(1) : descr;
  if (!has_order || NpyItemSize(a.dtype) == 0) {
    throw InputError(fmt::format(
        "{}: dtype '{}' not supported (use uint8, int8, int32, int64, float32 or float64)", path,
        descr));
  }
  if (descr[0] == '>' && NpyItemSize(a.dtype) > 1) {
    throw InputError(fmt::format("{}: big-endian data is not supported", path));
  }
  if (h.fortran_order.value_or(false)) {
    throw InputError(fmt::format("{}: Fortran-order arrays are not supported", path));
  }
  a.shape = *h.shape;
  const int item = NpyItemSize(a.dtype);
  const auto count = ElementCount(a.shape, std::min(kNpyMaxElements, kNpyMaxDataBytes / item));
  if (!count) {
    throw InputError(fmt::format("{}: shape {} is more than the {} elements or {} bytes accepted",
                                 path, ShapeString(a.shape), kNpyMaxElements, kNpyMaxDataBytes));
  }
  const uint64_t bytes = static_cast<uint64_t>(*count) * item;
  const uint64_t offset = 8 + len_bytes + header_len;
  if (file_size < offset || file_size - offset < bytes) {
    throw InputError(fmt::format("{}: file ends before its {} data bytes", path, bytes));
  }
  a.data.resize(static_cast<size_t>(bytes));
  if (ReadUpTo(path, fd.get(), a.data.data(), a.data.size()) != a.data.size()) {
    throw InputError(fmt::format("{}: file ends before its {} data bytes", path, bytes));
  }
  return a;
}

std::string EncodeNpy(const std::string& dtype, const std::vector<int64_t>& shape, const void* data,
                      size_t bytes) {
  const int item = NpyItemSize(dtype);
  if (item == 0) throw InputError(fmt::format("dtype '{}' cannot be written", dtype));
  const auto count = ElementCount(shape, kNpyMaxElements);
  if (!count || static_cast<uint64_t>(*count) * item != bytes) {
    throw InputError(fmt::format("{} bytes of data do not fill a {} tensor of shape {}", bytes,
                                 dtype, ShapeString(shape)));
  }
  std::string header = fmt::format("{{'descr': '{}{}', 'fortran_order': False, 'shape': {}, }}",
                                   item == 1 ? "|" : "<", dtype, ShapeString(shape));
  const size_t total = 10 + header.size() + 1;
  header.append((64 - total % 64) % 64, ' ');
  header += '\n';
  std::string file("\x93NUMPY\x01\x00", 8);
  file += static_cast<char>(header.size() & 0xff);
  file += static_cast<char>(header.size() >> 8);
  file += header;
  file.append(static_cast<const char*>(data), bytes);
  return file;
}

void WriteNpy(const std::string& path, const std::string& dtype, const std::vector<int64_t>& shape,
              const void* data, size_t bytes) {
  std::string file;
  try {
    file = EncodeNpy(dtype, shape, data, bytes);
  } catch (const InputError& e) {
    throw InputError(fmt::format("{}: {}", path, e.what()));
  }
  WriteFileAtomically(path, file);
}

}  // namespace sasim
